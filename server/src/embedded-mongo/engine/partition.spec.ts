import { Decimal128, Long, ObjectId, type Document } from "bson";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Collection } from "./collection.js";
import { engineContext } from "./operators.js";
import { leadingEqualities } from "./partition.js";
import { matcher } from "./query.js";

const oid = new ObjectId("65a000000000000000000001");
const scalar = fc.oneof(
  fc.constantFrom("a", "b", "c", 1, 2, 2.0, -0, 0, true, false, null, new Date(0), new Date(1), oid),
  fc.constant(undefined),
);
const fieldValue = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(Long.fromNumber(1), Decimal128.fromString("2"), { a: 1 }) },
);
const doc = fc.record({ t: fieldValue, k: fieldValue, n: fieldValue });
const cond = fc.oneof(
  scalar,
  scalar.map((v) => ({ $eq: v })),
  fc.array(scalar, { minLength: 1, maxLength: 3 }).map((vs) => ({ $in: vs })),
  fc.constant({ $gt: 1 }),
  fc.constant({ $exists: true }),
);
const filter = fc.dictionary(fc.constantFrom("t", "k", "n"), cond, { maxKeys: 3 });

describe("Collection.scan through partitions", () => {
  it("returns every document the filter matches (never fewer), once, and only live ones, before and after writes", () => {
    fc.assert(
      fc.property(fc.array(doc, { maxLength: 30 }), fc.array(doc, { maxLength: 10 }), filter, (docs, later, f) => {
        const c = new Collection("x");
        c.addIndex({ name: "t_k", key: { t: 1, k: 1 }, unique: false });
        c.addIndex({ name: "n", key: { n: 1 }, unique: false });
        for (const [i, d] of docs.entries()) c.insert({ _id: i, ...stripUndefined(d) });
        const matches = matcher(f, { context: engineContext, useStrictMode: true });
        const check = () => {
          const got = new Set(c.scan(leadingEqualities([f])));
          for (const d of c.snapshot()) if (matches(d)) expect(got.has(d), JSON.stringify({ d, f })).toBe(true);
          expect(got.size).toBe(c.scan(leadingEqualities([f])).length); // no document twice
          const live = new Set(c.snapshot());
          for (const d of got) expect(live.has(d), "a replaced or removed document came back").toBe(true);
        };
        check();
        // Writes after the partition exists: inserts, replacements that move a document, removals.
        for (const [i, d] of later.entries()) c.insert({ _id: 100 + i, ...stripUndefined(d) });
        const [first, second] = c.snapshot();
        if (first) c.replace(keyOf(first), { ...first, t: "b", k: 2 });
        if (second) c.remove(keyOf(second));
        check();
      }),
      { numRuns: 300 },
    );
  });

  it("reads only the pinned groups when the filter pins an index's leading fields", () => {
    const c = new Collection("x");
    c.addIndex({ name: "tenant_ds", key: { tenantId: 1, ds: 1, time: 1 }, unique: true });
    for (let i = 0; i < 1000; i++) c.insert({ _id: i, tenantId: `t${i % 2}`, ds: `ds${i % 5}`, time: i });
    expect(c.scan(leadingEqualities([{ tenantId: { $in: ["t0"] } }, { ds: "ds0", time: { $gte: 10 } }]))).toHaveLength(
      100,
    );
    expect(c.scan(leadingEqualities([{ tenantId: { $in: ["t0", "t1", "t0"] } }]))).toHaveLength(1000);
    expect(c.scan(leadingEqualities([{ ds: "ds0" }]))).toHaveLength(1000); // not a leading field: full scan
    // A whole unique key (here `_id`, and the unique index) answers from the key map: one document.
    expect(c.scan(leadingEqualities([{ _id: { $in: [7, 7, 8] } }])).map((d) => d._id)).toEqual([7, 8]);
    expect(c.scan(leadingEqualities([{ tenantId: "t1", ds: "ds1", time: 1 }])).map((d) => d._id)).toEqual([1]);
    expect(c.scan(leadingEqualities([{ tenantId: "t1", ds: "ds1", time: 2 }]))).toEqual([]);
  });
});

function stripUndefined(d: Document): Document {
  return Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined));
}

function keyOf(d: Document): string {
  return `n:${d._id as number}`;
}
