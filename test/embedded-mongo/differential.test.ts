// Differential testing of the embedded engine: pipelines generated from the operator subset Tally's
// pipelines use, over generated documents (ints and doubles, -0, nulls, missing fields, arrays, dates,
// strings with characters outside the BMP), run by the compiled engine and by mingo. They must agree;
// a disagreement was resolved by the MongoDB manual in whichever engine was wrong. ($setWindowFields
// is not generated: mingo runs it through $function, which a server without scripting refuses; its
// rank functions have a conformance test in test/integrity/engine-strict.test.ts.)
import fc from "fast-check";
import { Aggregator } from "mingo/aggregator";
import { describe, expect, it } from "vitest";
import { runCompiled } from "../../server/src/embedded-mongo/engine/compile-pipeline.js";
import { Store } from "../../server/src/embedded-mongo/engine/database.js";
import { engineOptions } from "../../server/src/embedded-mongo/engine/query.js";
import { compareValues } from "../../server/src/embedded-mongo/engine/bson-order.js";
import { configureLimits } from "../../server/src/embedded-mongo/engine/limits.js";

type Doc = Record<string, unknown>;
const opts = engineOptions(new Store(), "diff");

const scalar = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  fc.constantFrom(0, -0, 1.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53),
  fc.constant(null),
  fc.string({ maxLength: 6 }),
  fc.constantFrom("a", "b", "é", "😀", "𝒳y", "Z", ""),
  fc.boolean(),
  fc.date({ min: new Date("1969-12-01T00:00:00Z"), max: new Date("2030-01-01T00:00:00Z"), noInvalidDate: true }),
);
const value = fc.oneof({ weight: 5, arbitrary: scalar }, { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) });
const doc = fc.record(
  {
    a: value,
    b: value,
    g: fc.constantFrom("x", "y", "z", null),
    n: fc.oneof(fc.integer({ min: -50, max: 50 }), fc.double({ min: -50, max: 50, noNaN: true })),
    t: fc.date({ min: new Date("2024-01-01T00:00:00Z"), max: new Date("2024-12-31T00:00:00Z"), noInvalidDate: true }),
  },
  { requiredKeys: ["g", "t"] },
);

const field = fc.constantFrom("a", "b", "n", "g", "t", "missing");
const cmpOp = fc.constantFrom("$eq", "$ne", "$gt", "$gte", "$lt", "$lte");
const matchStage = fc.oneof(
  fc.tuple(field, cmpOp, scalar).map(([f, op, v]) => ({ $match: { [f]: { [op]: v } } })),
  fc
    .tuple(field, fc.array(scalar, { minLength: 1, maxLength: 3 }))
    .map(([f, vs]) => ({ $match: { [f]: { $in: vs } } })),
  fc.tuple(field, fc.boolean()).map(([f, e]) => ({ $match: { [f]: { $exists: e } } })),
  fc
    .tuple(field, scalar, field, scalar)
    .map(([f1, v1, f2, v2]) => ({ $match: { $or: [{ [f1]: v1 }, { [f2]: { $gt: v2 } }] } })),
);
const numExpr = fc.oneof(
  fc.constant({ $cond: [{ $isNumber: "$n" }, { $multiply: ["$n", 2] }, null] }),
  fc.constant({ $ifNull: ["$a", "$b"] }),
  fc.constant({ $cond: [{ $gt: ["$a", "$b"] }, "$a", "$b"] }),
  fc.constant({ $add: ["$n", 1] }),
  fc.constant({ $floor: "$n" }),
  fc.constant({ $abs: "$n" }),
  fc.constant({ $subtract: ["$n", 0.5] }),
  fc.constant({ $toLong: { $dateTrunc: { date: "$t", unit: "day" } } }),
  fc.constant({ $dateTrunc: { date: "$t", unit: "week", startOfWeek: "monday", timezone: "Europe/Paris" } }),
  fc.constant({ $type: "$a" }),
  fc.constant({ $in: ["$g", ["x", "z"]] }),
  fc.constant({ $concat: ["$g", "-", { $ifNull: ["$g", "none"] }] }),
  fc.constant({ $size: { $ifNull: [{ $cond: [{ $isArray: "$a" }, "$a", null] }, []] } }),
);
const acc = fc.constantFrom<Doc>(
  { $sum: "$n" },
  { $sum: 1 },
  { $avg: "$n" },
  { $min: "$a" },
  { $max: "$a" },
  { $min: "$t" },
  { $max: "$b" },
  { $count: {} },
  { $sum: "$a" },
  { $avg: "$a" },
);
const groupStage = fc
  .tuple(
    fc.constantFrom<unknown>("$g", null, { g: "$g" }, { $toLong: { $dateTrunc: { date: "$t", unit: "month" } } }, "$a"),
    fc.dictionary(fc.constantFrom("x1", "x2", "x3"), acc, { minKeys: 1, maxKeys: 3 }),
  )
  .map(([id, accs]) => ({ $group: { _id: id, ...accs } }));
const setStage = fc.tuple(fc.constantFrom("c", "d"), numExpr).map(([k, e]) => ({ $set: { [k]: e } }));
const sortStage = fc
  .tuple(fc.constantFrom("a", "b", "n", "t", "g", "c"), fc.constantFrom(1, -1))
  .map(([k, d]) => ({ $sort: { [k]: d, _id: 1 } }));
const stage = fc.oneof(
  matchStage,
  setStage,
  fc.constant({ $unwind: "$a" }),
  groupStage,
  fc.constant({ $project: { _id: 0, a: 1, g: 1, n: 1 } }),
);
const pipeline = fc
  .tuple(fc.array(stage, { maxLength: 3 }), fc.option(sortStage, { nil: undefined }))
  .map(([st, s]) => (s ? [...st, s] : st));

/** A canonical form: output of unspecified order is compared as a multiset. */
function canonical(rows: Doc[], ordered: boolean): unknown[] {
  const plain = rows.map(
    (r) =>
      JSON.parse(JSON.stringify(r, (_k, v: unknown) => (typeof v === "number" && Object.is(v, -0) ? 0 : v))) as unknown,
  );
  return ordered ? plain : plain.sort((x, y) => compareValues(JSON.stringify(x), JSON.stringify(y)));
}

describe("the compiled engine and mingo agree on Tally's operator subset", () => {
  it("over generated documents and pipelines", () => {
    configureLimits({ shuffleUnordered: false });
    fc.assert(
      fc.property(fc.array(doc, { maxLength: 25 }), pipeline, (docs, p) => {
        const input = docs.map((d, i) => ({ _id: i, ...d }));
        let compiled: Doc[] | Error;
        let reference: Doc[] | Error;
        try {
          compiled = runCompiled(structuredClone(input), p, () => {
            throw new Error("fallback");
          });
        } catch (e) {
          compiled = e as Error;
        }
        try {
          reference = new Aggregator(p, opts).run(structuredClone(input)) as Doc[];
        } catch (e) {
          reference = e as Error;
        }
        if (compiled instanceof Error || reference instanceof Error) {
          // Both refuse (e.g. $add on a string), or neither.
          expect(
            compiled instanceof Error,
            `${JSON.stringify(p)}: compiled ${String(compiled)} vs mingo ${String(reference)}`,
          ).toBe(reference instanceof Error);
          return;
        }
        const ordered = p.length > 0 && "$sort" in p.at(-1)!;
        expect(
          canonical(compiled, ordered),
          `${JSON.stringify(p)} compiled ${JSON.stringify(compiled)} mingo ${JSON.stringify(reference)}`,
        ).toEqual(canonical(reference, ordered));
      }),
      { numRuns: Number(process.env.DIFF_RUNS ?? 400) },
    );
  });
});
