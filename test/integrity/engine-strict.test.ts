import { Code, ConnectError } from "@connectrpc/connect";
import { Long, MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TenantScope } from "../../server/src/db/tenant-scope.js";
import { startEmbeddedMongo, type EmbeddedMongo } from "../../server/src/embedded-mongo/index.js";
import { restCall, startTestServer, type TestServer } from "../helpers/server.js";

let m: EmbeddedMongo;
let client: MongoClient;
let s: TestServer;

beforeAll(async () => {
  m = await startEmbeddedMongo();
  client = await new MongoClient(m.uri).connect();
  s = await startTestServer();
});
afterAll(async () => {
  await client?.close();
  await m?.stop();
  await s?.stop();
});

describe("the engine and the scope are no looser than MongoDB", () => {
  it("field names such as __proto__, constructor and toString are data, not JavaScript's prototype", async () => {
    const coll = client.db("strict").collection("p");
    await coll.insertMany([{ a: 1 }, { a: 2, constructor: "x" }]);
    const rows = await coll
      .aggregate([{ $project: { _id: 0, c: "$constructor", t: "$toString", p: "$__proto__" } }])
      .toArray();
    expect(rows).toEqual([{}, { c: "x" }]);
    expect(await coll.countDocuments({ toString: { $exists: true } })).toBe(0);
    expect(await coll.countDocuments({ constructor: { $exists: true } })).toBe(1);
  });

  it("jobs: terms on job.attributes.__proto__ finds no bucket and exists matches nothing", async () => {
    const jobs = [
      {
        application: "p",
        "@timestamp": new Date().toISOString(),
        job: { id: "p1", state: "OK", attributes: { k: "v" } },
      },
    ];
    expect((await restCall(s, s.admin, "/v3/jobs", { method: "POST", body: JSON.stringify(jobs) })).status).toBe(200);
    const res = await restCall(s, s.admin, "/v3/jobs/aggs", {
      method: "POST",
      body: JSON.stringify({
        application: "p",
        query: { exists: { field: "job.attributes.constructor" } },
        aggs: { t: { terms: { field: "job.attributes.toString" } } },
      }),
    });
    const body = (await res.json()) as { data: { total: number; aggregations: { t: { buckets: unknown[] } } } };
    expect(body.data.total).toBe(0);
    expect(body.data.aggregations.t.buckets).toEqual([]);
  });

  it("$setWindowFields numbers documents in sortBy order: $documentNumber, $rank (gaps after ties), $denseRank, per partition", async () => {
    const coll = client.db("strict").collection("w");
    await coll.insertMany([
      { g: "a", v: 3 },
      { g: "a", v: 1 },
      { g: "a", v: 1 },
      { g: "b", v: 7 },
    ]);
    const rows = await coll
      .aggregate([
        {
          $setWindowFields: {
            partitionBy: "$g",
            sortBy: { v: 1 },
            output: { n: { $documentNumber: {} }, r: { $rank: {} }, d: { $denseRank: {} } },
          },
        },
        { $project: { _id: 0, g: 1, v: 1, r: 1, d: 1 } },
        { $sort: { g: 1, v: 1 } },
      ])
      .toArray();
    expect(rows).toEqual([
      { g: "a", v: 1, r: 1, d: 1 },
      { g: "a", v: 1, r: 1, d: 1 },
      { g: "a", v: 3, r: 3, d: 2 },
      { g: "b", v: 7, r: 1, d: 1 },
    ]);
    const numbers = await coll
      .aggregate([
        { $setWindowFields: { sortBy: { v: -1 }, output: { n: { $documentNumber: {} } } } },
        { $project: { _id: 0, v: 1, n: 1 } },
      ])
      .toArray();
    expect(numbers.map((x) => x.n).sort()).toEqual([1, 2, 3, 4]);
    expect(numbers.find((x) => x.v === 7)?.n).toBe(1);
  });

  it("$range honours its step and refuses a zero step", async () => {
    const coll = client.db("strict").collection("r");
    await coll.insertOne({ x: 1 });
    const [row] = await coll
      .aggregate([{ $project: { _id: 0, r: { $range: [0, 10, 3] }, d: { $range: [5, 0, -2] } } }])
      .toArray();
    expect(row).toEqual({ r: [0, 3, 6, 9], d: [5, 3, 1] });
    await expect(coll.aggregate([{ $project: { r: { $range: [0, 10, 0] } } }]).toArray()).rejects.toMatchObject({
      code: 34449,
    });
  });

  it("$type, $objectToArray, $anyElementTrue and $regexMatch answer as MongoDB's do", async () => {
    const coll = client.db("strict").collection("ops");
    await coll.insertMany([{ o: { "a.b": "x", c: 1 }, s: "hello", n: 2.5, i: 3 }, { s: null }]);
    const rows = await coll
      .aggregate([
        {
          $project: {
            _id: 0,
            types: [{ $type: "$o" }, { $type: "$s" }, { $type: "$n" }, { $type: "$i" }, { $type: "$missing" }],
            kv: { $objectToArray: "$o" },
            any: {
              $anyElementTrue: [
                { $map: { input: { $ifNull: [{ $objectToArray: "$o" }, []] }, in: { $eq: ["$$this.v", 1] } } },
              ],
            },
            re: { $regexMatch: { input: "$s", regex: "^HEL", options: "i" } },
          },
        },
      ])
      .toArray();
    expect(rows).toEqual([
      {
        types: ["object", "string", "double", "int", "missing"],
        kv: [
          { k: "a.b", v: "x" },
          { k: "c", v: 1 },
        ],
        any: true,
        re: true,
      },
      { types: ["missing", "null", "missing", "missing", "missing"], kv: null, any: false, re: false },
    ]);
    await expect(coll.aggregate([{ $project: { x: { $objectToArray: "$s" } } }]).toArray()).rejects.toMatchObject({
      code: 40390,
    });
  });

  it("operators raise where MongoDB raises, and count Long as a number", async () => {
    const coll = client.db("strict").collection("ops2");
    await coll.insertMany([{ d: new Date(0), s: "x", l: Long.fromNumber(5) }, { l: Long.fromNumber(7) }]);
    await expect(coll.aggregate([{ $project: { x: { $add: ["$d", "$d"] } } }]).toArray()).rejects.toMatchObject({
      code: 16612,
    });
    await expect(coll.aggregate([{ $project: { x: { $floor: "$s" } } }]).toArray()).rejects.toMatchObject({
      code: 28765,
    });
    const [row] = await coll
      .aggregate([{ $group: { _id: null, n: { $sum: "$l" }, isNum: { $max: { $isNumber: "$l" } } } }])
      .toArray();
    expect(row).toMatchObject({ n: 12, isNum: true });
  });

  it("sorts NaN below numbers, strings in code point order, and objects by value type before field name", async () => {
    const coll = client.db("strict").collection("order");
    await coll.insertMany([{ v: 3 }, { v: Number.NaN }, { v: 1 }]);
    expect(
      (await coll.aggregate([{ $sort: { v: 1 } }, { $project: { _id: 0, v: 1 } }]).toArray()).map((d) => d.v),
    ).toEqual([Number.NaN, 1, 3]);
    const strs = client.db("strict").collection("strs");
    await strs.insertMany([{ s: "\u{1F600}" }, { s: "\uFFFD" }]);
    expect(
      (await strs.aggregate([{ $sort: { s: 1 } }, { $project: { _id: 0, s: 1 } }]).toArray()).map((d) => d.s),
    ).toEqual(["\uFFFD", "\u{1F600}"]);
    const objs = client.db("strict").collection("objs");
    await objs.insertMany([{ o: { a: "x" } }, { o: { b: 1 } }]);
    expect(
      (await objs.aggregate([{ $sort: { o: 1 } }, { $project: { _id: 0, o: 1 } }]).toArray()).map((d) => d.o),
    ).toEqual([{ b: 1 }, { a: "x" }]);
  });

  it("the tenant scope refuses escaping stages inside $facet too", async () => {
    const scope = new TenantScope(s.tally.database.db, {
      clientId: "c",
      tenantId: "root",
      permissions: new Set(),
      readableTenantIds: ["root"],
      tokenId: "t",
    });
    const err = await scope
      .aggregate("jobs", [
        { $facet: { x: [{ $lookup: { from: "clients", localField: "a", foreignField: "b", as: "c" } }] } },
      ])
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.Internal });
    expect((err as ConnectError).rawMessage).toMatch(/\$lookup is not allowed/);
  });
});
