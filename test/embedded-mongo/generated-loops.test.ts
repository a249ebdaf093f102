// The engine runs `[$match] [$project | $set] $group` as one generated loop (codegen/fused-group.ts).
// Its reference is the same pipeline run stage by stage with the closure compiler: over generated
// documents and pipelines both must give the same groups, or fail with the same error. And the
// generated source is an injection boundary: field names and values reach it only as data.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateFusedGroups } from "../../server/src/embedded-mongo/engine/codegen/fused-group.js";
import { generateMatch } from "../../server/src/embedded-mongo/engine/codegen/match-source.js";
import { compileMatch } from "../../server/src/embedded-mongo/engine/compile-match.js";
import { runCompiled } from "../../server/src/embedded-mongo/engine/compile-pipeline.js";
import { compareValues } from "../../server/src/embedded-mongo/engine/bson-order.js";
import { configureLimits, engineLimits } from "../../server/src/embedded-mongo/engine/limits.js";

type Doc = Record<string, unknown>;

const scalar = fc.oneof(
  fc.integer({ min: -100, max: 100 }),
  fc.double({ min: -1e3, max: 1e3, noNaN: true }),
  fc.constantFrom(0, -0, 2 ** 53, null),
  fc.constantFrom("a", "b", "é", "😀", "", "12"),
  fc.boolean(),
  fc.date({ min: new Date("2024-01-01T00:00:00Z"), max: new Date("2024-12-31T00:00:00Z"), noInvalidDate: true }),
);
const value = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.record({ x: scalar }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.array(fc.record({ x: scalar }), { maxLength: 2 }) },
);
const doc = fc.record(
  {
    a: value,
    b: value,
    g: fc.constantFrom("x", "y", null),
    n: fc.oneof(fc.integer({ min: -50, max: 50 }), fc.double({ min: -50, max: 50, noNaN: true })),
    t: fc.date({ min: new Date("2024-01-01T00:00:00Z"), max: new Date("2024-12-31T00:00:00Z"), noInvalidDate: true }),
    constructor: fc.constantFrom("own", 7),
  },
  { requiredKeys: ["g", "t"] },
);

const path = fc.constantFrom("$a", "$b", "$n", "$g", "$t", "$a.x", "$missing", "$constructor", "$toString", "$$ROOT.g");
const leaf = fc.oneof(path, scalar);
const expr: fc.Arbitrary<unknown> = fc.letrec<{ e: unknown }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc
      .tuple(fc.constantFrom("$eq", "$ne", "$gt", "$gte", "$lt", "$lte"), tie("e"), tie("e"))
      .map(([op, x, y]) => ({ [op]: [x, y] })),
    fc.tuple(fc.constantFrom("$and", "$or"), fc.array(tie("e"), { maxLength: 3 })).map(([op, xs]) => ({ [op]: xs })),
    tie("e").map((x) => ({ $not: [x] })),
    fc.tuple(tie("e"), tie("e"), tie("e")).map(([c, t, f]) => ({ $cond: [c, t, f] })),
    fc.tuple(tie("e"), tie("e")).map(([c, t]) => ({ $cond: { if: c, then: t } })),
    fc.array(tie("e"), { minLength: 2, maxLength: 3 }).map((xs) => ({ $ifNull: xs })),
    fc
      .tuple(fc.constantFrom("$add", "$subtract", "$multiply", "$divide", "$mod"), tie("e"), tie("e"))
      .map(([op, x, y]) => ({ [op]: [x, y] })),
    fc.array(tie("e"), { maxLength: 3 }).map((xs) => ({ $concat: xs })),
    fc.tuple(tie("e"), fc.oneof(tie("e"), fc.integer({ min: -3, max: 3 }))).map(([x, i]) => ({ $arrayElemAt: [x, i] })),
    fc.tuple(tie("e"), fc.array(scalar, { maxLength: 3 })).map(([x, xs]) => ({ $in: [x, xs] })),
    fc.tuple(tie("e"), tie("e")).map(([x, y]) => ({ $in: [x, y] })),
    fc
      .tuple(fc.constantFrom("$isNumber", "$toLong", "$type", "$floor", "$isArray", "$size"), tie("e"))
      .map(([op, x]) => ({ [op]: x })),
    fc
      .tuple(
        tie("e"),
        fc.constantFrom("day", "week", "hour", "bogus"),
        fc.constantFrom(undefined, 1, 3, 0),
        fc.constantFrom(undefined, "UTC", "Europe/Paris"),
      )
      .map(([date, unit, binSize, timezone]) => ({ $dateTrunc: { date, unit, binSize, timezone } })),
    fc.tuple(tie("e"), tie("e")).map(([x, y]) => ({ k1: x, k2: y })),
    fc.tuple(tie("e"), tie("e")).map(([x, y]) => [x, y]),
    scalar.map((x) => ({ $literal: x })),
    fc.constant("$$REMOVE"),
  ),
})).e;

const acc = fc.oneof(
  fc
    .tuple(fc.constantFrom("$sum", "$avg", "$min", "$max", "$push", "$addToSet", "$first", "$last"), expr)
    .map(([op, e]) => ({ [op]: e })),
  fc.constant({ $count: {} }),
  fc.constant({ $sum: 1 }),
  fc.constant({ $topN: { n: 2, sortBy: { n: 1, _id: 1 }, output: "$g" } }),
);
const group = fc
  .tuple(
    fc.oneof(expr, fc.constantFrom(null, "$g", "$p")),
    fc.dictionary(fc.constantFrom("x1", "x2", "x3"), acc, { minKeys: 1, maxKeys: 3 }),
  )
  .map(([id, accs]) => ({ $group: { _id: id, ...accs } }));
const reshape = fc.oneof(
  fc.dictionary(fc.constantFrom("p", "q", "g"), expr, { minKeys: 1, maxKeys: 3 }).map((s) => ({ $set: s })),
  fc
    .tuple(
      fc.dictionary(fc.constantFrom("p", "q"), expr, { maxKeys: 2 }),
      fc.constantFrom<Doc>({}, { _id: 0 }, { _id: "$g" }, { g: 1, n: 1 }, { a: true }),
    )
    .map(([computed, flags]) => ({ $project: { ...flags, ...computed } })),
);
const matchField = fc.constantFrom("a", "b", "n", "g", "t", "missing", "a.x", "constructor");
const condition = fc.oneof(
  scalar,
  fc.tuple(fc.constantFrom("$eq", "$ne", "$gt", "$gte", "$lt", "$lte"), scalar).map(([op, c]) => ({ [op]: c })),
  fc
    .tuple(fc.constantFrom("$gte", "$gt"), scalar, fc.constantFrom("$lte", "$lt"), scalar)
    .map(([a, x, c, y]) => ({ [a]: x, [c]: y })),
  fc.array(scalar, { maxLength: 3 }).map((xs) => ({ $in: xs })),
  fc.array(scalar, { minLength: 1, maxLength: 3 }).map((xs) => ({ $nin: xs })),
  fc.boolean().map((e) => ({ $exists: e })),
);
const filter: fc.Arbitrary<Doc> = fc.oneof(
  fc.dictionary(matchField, condition, { maxKeys: 3 }),
  fc
    .tuple(
      fc.dictionary(matchField, condition, { minKeys: 1, maxKeys: 2 }),
      fc.dictionary(matchField, condition, { minKeys: 1, maxKeys: 2 }),
    )
    .map(([x, y]) => ({ $and: [x, y] })),
  expr.map((e) => ({ $expr: e })),
);
const match = filter.map((f) => ({ $match: f }));
const pipeline = fc
  .tuple(fc.option(match, { nil: undefined }), fc.option(reshape, { nil: undefined }), group)
  .map(([m, r, g]) => [m, r, g].filter((s) => s !== undefined) as Doc[]);

function run(docs: Doc[], p: Doc[], generate: boolean): unknown {
  configureLimits({ generateLoops: generate });
  try {
    const rows = runCompiled(structuredClone(docs), p, () => {
      throw new Error("fallback");
    });
    const plain = rows.map((r) =>
      JSON.parse(JSON.stringify(r, (_k, v: unknown) => (typeof v === "number" && Object.is(v, -0) ? "-0" : v))),
    );
    return plain.sort((x, y) => compareValues(JSON.stringify(x), JSON.stringify(y)));
  } catch (e) {
    return { error: String(e), code: (e as { code?: number }).code };
  }
}

const isError = (x: unknown) => x !== null && typeof x === "object" && "error" in x;

describe("generated group loops", () => {
  const before = engineLimits();
  beforeAll(() => configureLimits({ shuffleUnordered: false }));
  afterAll(() => configureLimits(before));

  it("give what the stages give one by one, results and errors, over generated pipelines", () => {
    let generated = 0;
    fc.assert(
      fc.property(fc.array(doc, { maxLength: 20 }), pipeline, (docs, p) => {
        const input = docs.map((d, i) => ({ _id: i, ...d }));
        const stages = p.map((s) => Object.entries(s)[0]!);
        const shape = {
          match: stages.find(([k]) => k === "$match")?.[1] as Doc | undefined,
          group: p.at(-1)!.$group as Doc,
        };
        const r = stages.find(([k]) => k !== "$match" && k !== "$group");
        if (generateFusedGroups([{ ...shape, reshape: r && { op: r[0], spec: r[1] as Doc } }])) generated++;
        // Over one document the error is determined; over several, which document's error comes first
        // is not (the fused loop streams documents through the stages, as mongod does).
        for (const one of input) expect(run([one], p, true), JSON.stringify([one, p])).toEqual(run([one], p, false));
        const fused = run(input, p, true);
        const staged = run(input, p, false);
        if (isError(fused) && isError(staged)) return;
        expect(fused, JSON.stringify(p)).toEqual(staged);
      }),
      { numRuns: Number(process.env.GEN_RUNS ?? 600) },
    );
    configureLimits({ generateLoops: true });
    // Most generated pipelines are fused (the rest need a construct that is not): the test compares something.
    expect(generated).toBeGreaterThan(150);
  });

  it("give what the stages give one by one in the branches of a $facet (read together)", () => {
    const tail = fc.constantFrom<Doc[]>(
      [],
      [{ $sort: { _id: 1 } }, { $limit: 2 }],
      [{ $match: { x1: { $ne: null } } }],
      [{ $count: "n" }],
    );
    const branch = fc.tuple(pipeline, tail).map(([p, t]) => [...p, ...t]);
    fc.assert(
      fc.property(fc.array(doc, { maxLength: 15 }), fc.array(branch, { minLength: 1, maxLength: 4 }), (docs, bs) => {
        const input = docs.map((d, i) => ({ _id: i, ...d }));
        const p = [{ $facet: Object.fromEntries(bs.map((b, j) => [`f${j}`, b])) }];
        const fused = run(input, p, true);
        const staged = run(input, p, false);
        // Branches read together report the first error of the pass, not of the first branch.
        if (isError(fused) && isError(staged)) return;
        expect(fused, JSON.stringify(p)).toEqual(staged);
      }),
      { numRuns: Number(process.env.GEN_RUNS ?? 300) },
    );
  });

  it("pick numbered positions of a sort as numbering every document then matching would", () => {
    fc.assert(
      fc.property(
        fc.array(doc, { maxLength: 30 }),
        fc.constantFrom<Doc>({ n: 1 }, { n: -1, _id: 1 }, { g: 1, _id: -1 }),
        fc.array(fc.integer({ min: -2, max: 35 }), { maxLength: 4 }),
        (docs, sortBy, ranks) => {
          const input = docs.map((d, i) => ({ _id: i, ...d }));
          const window = { $setWindowFields: { sortBy, output: { rank: { $documentNumber: {} } } } };
          const picked = run(input, [window, { $match: { rank: { $in: ranks } } }, { $sort: { rank: 1 } }], true);
          // `$and` around the same condition is not the picked shape: every document is numbered.
          const numbered = run(
            input,
            [window, { $match: { $and: [{ rank: { $in: ranks } }] } }, { $sort: { rank: 1 } }],
            true,
          );
          expect(picked).toEqual(numbered);
        },
      ),
      { numRuns: Number(process.env.GEN_RUNS ?? 300) },
    );
  });

  it("leave a shape past the source ceiling to the closures, which answer the same", () => {
    // 3,000 accumulators: well past 64 KB of source. Not generated, and nothing compiled for it.
    const group: Doc = { _id: "$g" };
    for (let i = 0; i < 3000; i++) group[`a${i}`] = { $sum: { $add: ["$n", i] } };
    expect(generateFusedGroups([{ group }])).toBeUndefined();
    const input = [
      { _id: 1, g: "x", n: 1 },
      { _id: 2, g: "x", n: 2 },
      { _id: 3, g: "y", n: 5 },
    ];
    const rows = run(input, [{ $group: group }], true) as Doc[];
    expect(rows).toEqual(run(input, [{ $group: group }], false));
    expect(rows.map((r) => [r._id, r.a0, r.a2999])).toEqual([
      ["x", 3, 6001],
      ["y", 5, 3004],
    ]);
  });

  it("match as the compiled query filter does, value by value", () => {
    const answer = (f: () => boolean) => {
      try {
        return f();
      } catch (e) {
        return String(e);
      }
    };
    fc.assert(
      fc.property(fc.array(doc, { maxLength: 10 }), filter, (docs, f) => {
        const build = <T>(make: () => T): T | string => {
          try {
            return make();
          } catch (e) {
            return String(e); // a construct the engine hands to mingo: refused by both
          }
        };
        const generated = build(() => generateMatch(f)!);
        const reference = build(() => compileMatch(f));
        if (typeof generated === "string" || typeof reference === "string") {
          expect(generated).toEqual(reference);
          return;
        }
        for (const d of docs)
          expect(
            answer(() => generated(d)),
            JSON.stringify([d, f]),
          ).toEqual(answer(() => reference(d)));
      }),
      { numRuns: Number(process.env.GEN_RUNS ?? 600) },
    );
  });

  it("take hostile field names and values as data: the source names none of them, and one shape is one source", () => {
    const hostile = [
      '"]); globalThis["pwned"] = 1; (["',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder is the hostile part.
      "`${globalThis['pwned'] = 1}`",
      "*/ globalThis['pwned'] = 1; /*",
      "\u2028globalThis['pwned'] = 1",
      "__proto__",
      "constructor",
      "c0",
      "t0",
    ];
    const sources = new Set<string>();
    for (const h of hostile) {
      const p = [
        { $match: { [h]: { $ne: h } } },
        { $project: { [h]: 1, v: { $concat: [`$${h}`, h] } } },
        { $group: { _id: `$${h}`, n: { $sum: 1 }, s: { $max: { $ifNull: [`$${h}`, h] } } } },
      ];
      const [m, r, g] = p as unknown as [Doc, Doc, Doc];
      const loop = generateFusedGroups([
        { match: m.$match as Doc, reshape: { op: "$project", spec: r.$project as Doc }, group: g.$group as Doc },
      ]);
      expect(loop, h).toBeDefined();
      for (const part of ["pwned", "__proto__", "constructor", "\u2028", "`"]) expect(loop!.source).not.toContain(part);
      sources.add(`${h in Object.prototype}: ${loop!.source}`);

      const docs = [
        { _id: 1, [h]: "x" },
        { _id: 2, [h]: "y" },
        { _id: 3, other: 1 },
      ];
      expect(run(docs, p, true), h).toEqual(run(docs, p, false));
      expect((globalThis as { pwned?: unknown }).pwned).toBeUndefined();
    }
    // Names the object prototype has are read as own properties only, the rest directly: one source each.
    expect(sources.size).toBe(2);
    const a = generateFusedGroups([{ group: { _id: "$x", n: { $sum: "$y" } } }])!;
    const b = generateFusedGroups([{ group: { _id: "$other", n: { $sum: "$z" } } }])!;
    expect(a.source).toBe(b.source);
  });
});
