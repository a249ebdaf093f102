import { MongoClient, type Db } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedMongo, type EmbeddedMongo } from "../../server/src/embedded-mongo/index.js";

/**
 * Conformance of the embedded engine with MongoDB, through the real driver over TCP. Inputs and
 * expected outputs are the MongoDB manual's own examples (cited per test) for every stage,
 * accumulator and expression Tally's pipelines use.
 */
let m: EmbeddedMongo;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  m = await startEmbeddedMongo();
  client = await new MongoClient(m.uri).connect();
  db = client.db("conformance");
});
afterAll(async () => {
  await client?.close();
  await m?.stop();
});

const byId = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  JSON.stringify(a._id).localeCompare(JSON.stringify(b._id));

const sales = [
  { _id: 1, item: "abc", price: 10, quantity: 2, date: new Date("2014-03-01T08:00:00Z") },
  { _id: 2, item: "jkl", price: 20, quantity: 1, date: new Date("2014-03-01T09:00:00Z") },
  { _id: 3, item: "xyz", price: 5, quantity: 10, date: new Date("2014-03-15T09:00:00Z") },
  { _id: 4, item: "xyz", price: 5, quantity: 20, date: new Date("2014-04-04T11:21:39.736Z") },
  { _id: 5, item: "abc", price: 10, quantity: 10, date: new Date("2014-04-04T21:23:13.331Z") },
];

// The manual's cakeSales collection (used by its $dateTrunc examples).
const cakeSales = [
  { _id: 0, type: "chocolate", orderDate: new Date("2020-05-18T14:10:30Z"), state: "CA", price: 13, quantity: 120 },
  { _id: 1, type: "chocolate", orderDate: new Date("2021-03-20T11:30:05Z"), state: "WA", price: 14, quantity: 140 },
  { _id: 2, type: "vanilla", orderDate: new Date("2021-01-11T06:31:15Z"), state: "CA", price: 12, quantity: 145 },
  { _id: 3, type: "vanilla", orderDate: new Date("2020-02-08T13:13:23Z"), state: "WA", price: 13, quantity: 104 },
  { _id: 4, type: "strawberry", orderDate: new Date("2019-05-18T16:09:01Z"), state: "CA", price: 41, quantity: 162 },
  { _id: 5, type: "strawberry", orderDate: new Date("2019-01-08T06:12:03Z"), state: "WA", price: 43, quantity: 134 },
];

const testScores = [
  { studentId: "2345", test01: 62, test02: 81, test03: 80 },
  { studentId: "2356", test01: 60, test02: 83, test03: 79 },
  { studentId: "2358", test01: 67, test02: 82, test03: 78 },
  { studentId: "2367", test01: 64, test02: 72, test03: 77 },
  { studentId: "2369", test01: 60, test02: 53, test03: 72 },
];

describe("$group (manual: $group examples on `sales` and `books`)", () => {
  it("group by null: $sum of $multiply, $avg, count", async () => {
    await db.collection("sales").insertMany(sales.map((d) => ({ ...d })) as never[]);
    const out = await db
      .collection("sales")
      .aggregate([
        {
          $group: {
            _id: null,
            totalPrice: { $sum: { $multiply: ["$price", "$quantity"] } },
            averageQuantity: { $avg: "$quantity" },
            count: { $sum: 1 },
          },
        },
      ])
      .toArray();
    expect(out).toEqual([{ _id: null, totalPrice: 290, averageQuantity: 8.6, count: 5 }]);
  });

  it("distinct values: group by $item", async () => {
    const out = await db
      .collection("sales")
      .aggregate([{ $group: { _id: "$item" } }])
      .toArray();
    expect(out.sort(byId)).toEqual([{ _id: "abc" }, { _id: "jkl" }, { _id: "xyz" }]);
  });

  it("pivot with $push", async () => {
    await db.collection("books").insertMany([
      { _id: 8751, title: "The Banquet", author: "Dante", copies: 2 },
      { _id: 8752, title: "Divine Comedy", author: "Dante", copies: 1 },
      { _id: 8645, title: "Eclogues", author: "Dante", copies: 2 },
      { _id: 7000, title: "The Odyssey", author: "Homer", copies: 10 },
      { _id: 7020, title: "Iliad", author: "Homer", copies: 10 },
    ] as never[]);
    const out = await db
      .collection("books")
      .aggregate([{ $group: { _id: "$author", books: { $push: "$title" } } }])
      .toArray();
    expect(out.sort(byId)).toEqual([
      { _id: "Dante", books: ["The Banquet", "Divine Comedy", "Eclogues"] },
      { _id: "Homer", books: ["The Odyssey", "Iliad"] },
    ]);
  });

  it("$min, $max, $addToSet (manual: accumulator pages on `sales`)", async () => {
    const out = await db
      .collection("sales")
      .aggregate([
        {
          $group: {
            _id: "$item",
            minQ: { $min: "$quantity" },
            maxQ: { $max: "$quantity" },
            prices: { $addToSet: "$price" },
          },
        },
      ])
      .toArray();
    expect(out.sort(byId)).toEqual([
      { _id: "abc", minQ: 2, maxQ: 10, prices: [10] },
      { _id: "jkl", minQ: 1, maxQ: 1, prices: [20] },
      { _id: "xyz", minQ: 10, maxQ: 20, prices: [5] },
    ]);
  });
});

describe("$percentile and $median (manual: testScores)", () => {
  it("percentiles in the order of p, sorted numerically (mingo sorted as text)", async () => {
    await db.collection("testScores").insertMany(testScores.map((d) => ({ ...d })) as never[]);
    const p = [0.5, 0.75, 0.9, 0.95];
    const out = await db
      .collection("testScores")
      .aggregate([
        {
          $group: {
            _id: null,
            test01_percentiles: { $percentile: { input: "$test01", p, method: "approximate" } },
            test02_percentiles: { $percentile: { input: "$test02", p, method: "approximate" } },
            test03_percentiles: { $percentile: { input: "$test03", p, method: "approximate" } },
            test03_percent_alt: { $percentile: { input: "$test03", p: [0.9, 0.5, 0.75, 0.95], method: "approximate" } },
          },
        },
      ])
      .toArray();
    expect(out).toEqual([
      {
        _id: null,
        test01_percentiles: [62, 64, 67, 67],
        test02_percentiles: [81, 82, 83, 83],
        test03_percentiles: [78, 79, 80, 80],
        test03_percent_alt: [80, 78, 79, 80],
      },
    ]);
  });

  it("$median, and the defect the task names: median of [9, 10, 100] is 10", async () => {
    const out = await db
      .collection("testScores")
      .aggregate([{ $group: { _id: null, test01_median: { $median: { input: "$test01", method: "approximate" } } } }])
      .toArray();
    expect(out).toEqual([{ _id: null, test01_median: 62 }]);
    await db.collection("med").insertMany([{ v: 9 }, { v: 10 }, { v: 100 }]);
    const med = await db
      .collection("med")
      .aggregate([{ $group: { _id: null, m: { $median: { input: "$v", method: "approximate" } } } }])
      .toArray();
    expect(med[0]!.m).toBe(10);
  });

  // The manual: "$percentile ... method: 'approximate'" is the only method in 7.0, and non-numeric
  // inputs are ignored while every numeric type counts (mongod coerces Long and Decimal128 to double).
  it("refuses a method other than approximate (BadValue), and counts Long and Decimal128 inputs", async () => {
    const { Long, Decimal128 } = await import("mongodb");
    await db
      .collection("pnum")
      .insertMany([{ v: 1 }, { v: Long.fromNumber(2) }, { v: Decimal128.fromString("3") }, { v: "4" }]);
    const out = await db
      .collection("pnum")
      .aggregate([
        { $group: { _id: null, p: { $percentile: { input: "$v", p: [0, 0.5, 1], method: "approximate" } } } },
      ])
      .toArray();
    expect(out).toEqual([{ _id: null, p: [1, 2, 3] }]);
    await expect(
      db
        .collection("pnum")
        .aggregate([{ $group: { _id: null, p: { $percentile: { input: "$v", p: [0.5], method: "discrete" } } } }])
        .toArray(),
    ).rejects.toMatchObject({ code: 2, message: "Currently only 'approximate' can be used as percentile 'method'." });
  });
});

describe("$topN and $bottomN (manual: gamescores)", () => {
  it("the first / last n outputs in sortBy order per group, n at most", async () => {
    const scores: [string, string, number][] = [
      ["PlayerA", "G1", 31],
      ["PlayerB", "G1", 33],
      ["PlayerC", "G1", 99],
      ["PlayerD", "G1", 1],
      ["PlayerA", "G2", 10],
      ["PlayerB", "G2", 14],
      ["PlayerC", "G2", 66],
      ["PlayerD", "G2", 80],
    ];
    await db
      .collection("gamescores")
      .insertMany(scores.map(([playerId, gameId, score]) => ({ playerId, gameId, score })));
    const out = await db
      .collection("gamescores")
      .aggregate([
        {
          $group: {
            _id: "$gameId",
            top: { $topN: { output: ["$playerId", "$score"], sortBy: { score: -1 }, n: 3 } },
            bottom: { $bottomN: { output: ["$playerId", "$score"], sortBy: { score: -1 }, n: 3 } },
          },
        },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(out).toEqual([
      {
        _id: "G1",
        top: [
          ["PlayerC", 99],
          ["PlayerB", 33],
          ["PlayerA", 31],
        ],
        bottom: [
          ["PlayerB", 33],
          ["PlayerA", 31],
          ["PlayerD", 1],
        ],
      },
      {
        _id: "G2",
        top: [
          ["PlayerD", 80],
          ["PlayerC", 66],
          ["PlayerB", 14],
        ],
        bottom: [
          ["PlayerC", 66],
          ["PlayerB", 14],
          ["PlayerA", 10],
        ],
      },
    ]);
  });
});

describe("$dateTrunc (manual: cakeSales)", () => {
  it("two-week bins in America/Los_Angeles from Monday, in $project", async () => {
    await db.collection("cakeSales").insertMany(cakeSales.map((d) => ({ ...d })) as never[]);
    const out = await db
      .collection("cakeSales")
      .aggregate([
        {
          $project: {
            _id: 1,
            orderDate: 1,
            truncatedOrderDate: {
              $dateTrunc: {
                date: "$orderDate",
                unit: "week",
                binSize: 2,
                timezone: "America/Los_Angeles",
                startOfWeek: "Monday",
              },
            },
          },
        },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(out.map((d) => [d._id, (d.truncatedOrderDate as Date).toISOString()])).toEqual([
      [0, "2020-05-11T07:00:00.000Z"],
      [1, "2021-03-15T07:00:00.000Z"],
      [2, "2021-01-04T08:00:00.000Z"],
      [3, "2020-02-03T08:00:00.000Z"],
      [4, "2019-05-13T07:00:00.000Z"],
      [5, "2019-01-07T08:00:00.000Z"],
    ]);
  });

  it("six-month bins in $group with $sum", async () => {
    const out = await db
      .collection("cakeSales")
      .aggregate([
        {
          $group: {
            _id: { truncatedOrderDate: { $dateTrunc: { date: "$orderDate", unit: "month", binSize: 6 } } },
            sumQuantity: { $sum: "$quantity" },
          },
        },
      ])
      .toArray();
    expect(out.map((d) => [(d._id.truncatedOrderDate as Date).toISOString(), d.sumQuantity]).sort()).toEqual([
      ["2019-01-01T00:00:00.000Z", 296],
      ["2020-01-01T00:00:00.000Z", 224],
      ["2021-01-01T00:00:00.000Z", 285],
    ]);
  });

  it("hour and minute honour the time zone (mingo ignored it); a null date gives null", async () => {
    const out = await db
      .collection("cakeSales")
      .aggregate([
        { $match: { _id: 0 } },
        {
          $project: {
            h: { $dateTrunc: { date: "$orderDate", unit: "hour", timezone: "+05:30" } },
            n: { $dateTrunc: { date: "$nope", unit: "day" } },
          },
        },
      ])
      .toArray();
    expect((out[0]!.h as Date).toISOString()).toBe("2020-05-18T13:30:00.000Z");
    expect(out[0]!.n).toBeNull();
  });
});

describe("$count, $match with $expr, $unwind, $facet (manual examples)", () => {
  it("$count after $match (manual: scores); nothing at all on empty input", async () => {
    await db.collection("scores").insertMany([
      { _id: 1, subject: "History", score: 88 },
      { _id: 2, subject: "History", score: 92 },
      { _id: 3, subject: "History", score: 97 },
      { _id: 4, subject: "History", score: 71 },
      { _id: 5, subject: "History", score: 79 },
      { _id: 6, subject: "History", score: 83 },
    ] as never[]);
    expect(
      await db
        .collection("scores")
        .aggregate([{ $match: { score: { $gt: 80 } } }, { $count: "passing_scores" }])
        .toArray(),
    ).toEqual([{ passing_scores: 4 }]);
    expect(
      await db
        .collection("scores")
        .aggregate([{ $match: { score: { $gt: 100 } } }, { $count: "n" }])
        .toArray(),
    ).toEqual([]);
  });

  it("$unwind an array field (manual: inventory)", async () => {
    await db.collection("inventory").insertOne({ _id: 1, item: "ABC1", sizes: ["S", "M", "L"] } as never);
    expect(
      await db
        .collection("inventory")
        .aggregate([{ $unwind: "$sizes" }])
        .toArray(),
    ).toEqual([
      { _id: 1, item: "ABC1", sizes: "S" },
      { _id: 1, item: "ABC1", sizes: "M" },
      { _id: 1, item: "ABC1", sizes: "L" },
    ]);
  });

  it("$mod, $toLong of a date, $subtract, $cond, $ifNull, $in (manual: $mod conferencePlanning)", async () => {
    await db.collection("conferencePlanning").insertMany([
      { _id: 1, city: "New York", hours: 80, tasks: 7 },
      { _id: 2, city: "Singapore", hours: 40, tasks: 4 },
    ] as never[]);
    expect(
      await db
        .collection("conferencePlanning")
        .aggregate([{ $project: { remainder: { $mod: ["$hours", "$tasks"] } } }])
        .toArray(),
    ).toEqual([
      { _id: 1, remainder: 3 },
      { _id: 2, remainder: 0 },
    ]);
    const [d] = await db
      .collection("sales")
      .aggregate([
        { $match: { _id: 1 } },
        {
          $project: {
            _id: 0,
            ms: { $toLong: "$date" },
            day: { $subtract: [{ $toLong: "$date" }, { $mod: [{ $toLong: "$date" }, 86_400_000] }] },
            big: { $cond: [{ $gt: ["$quantity", 1] }, "yes", "no"] },
            x: { $ifNull: ["$missing", "dflt"] },
            known: { $in: ["$item", ["abc", "def"]] },
          },
        },
      ])
      .toArray();
    expect(d).toEqual({
      ms: Date.parse("2014-03-01T08:00:00Z"),
      day: Date.parse("2014-03-01T00:00:00Z"),
      big: "yes",
      x: "dflt",
      known: true,
    });
  });

  it("$facet runs sub-pipelines over the same input", async () => {
    const [out] = await db
      .collection("sales")
      .aggregate([
        {
          $facet: { n: [{ $count: "n" }], top: [{ $sort: { quantity: -1 } }, { $limit: 1 }, { $project: { _id: 1 } }] },
        },
      ])
      .toArray();
    expect(out).toEqual({ n: [{ n: 5 }], top: [{ _id: 4 }] });
  });

  it("$map/$range/$arrayElemAt/$reduce (element-wise sums), $filter, $setDifference/$size", async () => {
    await db.collection("hist").insertMany([{ h: [1, 2, 3] }, { h: [10, 20, 30] }]);
    const [out] = await db
      .collection("hist")
      .aggregate([
        { $group: { _id: null, hs: { $push: "$h" } } },
        {
          $project: {
            _id: 0,
            sum: {
              $reduce: {
                input: "$hs",
                initialValue: [],
                in: {
                  $cond: [
                    { $eq: [{ $size: "$$value" }, 0] },
                    "$$this",
                    {
                      $map: {
                        input: { $range: [0, { $size: "$$this" }] },
                        as: "i",
                        in: { $add: [{ $arrayElemAt: ["$$value", "$$i"] }, { $arrayElemAt: ["$$this", "$$i"] }] },
                      },
                    },
                  ],
                },
              },
            },
            big: { $filter: { input: { $arrayElemAt: ["$hs", 1] }, cond: { $gt: ["$$this", 15] } } },
            distinct: { $size: { $setDifference: [[1, 1, 2, null], [null]] } },
          },
        },
      ])
      .toArray();
    expect(out).toEqual({ sum: [11, 22, 33], big: [20, 30], distinct: 2 });
  });
});
