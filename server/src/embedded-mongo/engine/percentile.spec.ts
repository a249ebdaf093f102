import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TDIGEST_DELTA, TDigest, nearestRank, percentileSpec } from "./percentile.js";

const exact = (sorted: readonly number[], p: number) => sorted[nearestRank(sorted.length, p)]!;

describe("$percentile's t-digest (method approximate, as mongod 7.0)", () => {
  it("answers the exact nearest rank while no two inputs share a centroid (under a thousand inputs)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.double({ noNaN: true, noDefaultInfinity: true })), {
          minLength: 1,
          maxLength: 999,
        }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 5 }),
        (xs, ps) => {
          const digest = new TDigest();
          for (const x of xs) digest.add(x);
          const sorted = [...xs].sort((a, b) => a - b);
          for (const p of ps) expect(digest.percentile(p)).toBe(exact(sorted, p));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("holds at most 2δ centroids over a million inputs and stays within 0.1% of the true rank", () => {
    const n = 1_000_000;
    const digest = new TDigest();
    // A deterministic permutation of 0..n-1 (multiplication by a unit modulo n).
    for (let i = 0; i < n; i++) digest.add((i * 7_919) % n);
    expect(digest.size()).toBeLessThanOrEqual(2 * TDIGEST_DELTA);
    for (const p of [0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999]) {
      const v = digest.percentile(p)!;
      expect(Math.abs(v - p * n) / n).toBeLessThan(0.001);
    }
    expect(digest.percentile(0)).toBe(0);
    expect(digest.percentile(1)).toBe(n - 1);
  });

  it("ignores NaN, counts infinities apart, and answers null when nothing numeric came", () => {
    const digest = new TDigest();
    expect(digest.percentile(0.5)).toBeNull();
    for (const x of [Number.NaN, Number.NEGATIVE_INFINITY, 1, 2, 3, Number.POSITIVE_INFINITY]) digest.add(x);
    // n = 5: ranks 0 (−∞), 1, 2, 3, 4 (+∞).
    expect([0, 0.2, 0.4, 0.6, 0.8, 1].map((p) => digest.percentile(p))).toEqual([
      Number.NEGATIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      1,
      2,
      3,
      Number.POSITIVE_INFINITY,
    ]);
  });

  it("validates as mongod 7.0: p numbers in [0, 1], method approximate only", () => {
    expect(percentileSpec("$percentile", { input: "$x", p: [0.5, 1], method: "approximate" })).toEqual([0.5, 1]);
    expect(percentileSpec("$median", { input: "$x", method: "approximate" })).toEqual([0.5]);
    expect(() => percentileSpec("$percentile", { input: "$x", p: [0.5], method: "discrete" })).toThrow(
      "Currently only 'approximate' can be used as percentile 'method'.",
    );
    expect(() => percentileSpec("$percentile", { input: "$x", p: [], method: "approximate" })).toThrow(/'p' field/);
    expect(() => percentileSpec("$percentile", { input: "$x", p: [1.5], method: "approximate" })).toThrow(/1\.5/);
    expect(() => percentileSpec("$percentile", { input: "$x", p: ["a"], method: "approximate" })).toThrow(/"a"/);
  });
});
