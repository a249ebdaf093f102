// MongoDB's memory limits in the embedded engine, lowered to 256 KB so test sizes reach them: the
// same errors and codes as mongod, and the same escape hatch (allowDiskUse) where mongod has one.
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedMongo, type EmbeddedMongo } from "../../server/src/embedded-mongo/index.js";

const LIMIT = 256 * 1024;
let m: EmbeddedMongo;
let client: MongoClient;

beforeAll(async () => {
  process.env.TALLY_ENGINE_MEMORY_LIMIT_BYTES = String(LIMIT);
  m = await startEmbeddedMongo();
  client = await new MongoClient(m.uri).connect();
});
afterAll(async () => {
  delete process.env.TALLY_ENGINE_MEMORY_LIMIT_BYTES;
  await client?.close();
  await m?.stop();
});

describe("the engine enforces MongoDB's memory limits", () => {
  const n = 20_000;
  beforeAll(async () => {
    await client
      .db("limits")
      .collection("c")
      .insertMany(Array.from({ length: n }, (_, i) => ({ i, s: `value-${i}-padding-padding`, g: i % 3 })));
  });
  const coll = () => client.db("limits").collection("c");

  it("$push and $addToSet cannot spill: 146 ExceededMemoryLimit even with allowDiskUse", async () => {
    for (const op of ["$push", "$addToSet"]) {
      const err = await coll()
        .aggregate([{ $group: { _id: null, xs: { [op]: "$s" } } }], { allowDiskUse: true })
        .toArray()
        .catch((e: unknown) => e);
      expect(err, op).toMatchObject({ code: 146, codeName: "ExceededMemoryLimit" });
      expect(String((err as Error).message)).toContain(
        `${op} used too much memory and cannot spill to disk. Memory limit: ${LIMIT} bytes`,
      );
    }
  });

  it("a blocking $group or $sort over the limit needs allowDiskUse (292), and passes with it", async () => {
    for (const stage of [{ $group: { _id: "$s", n: { $sum: 1 } } }, { $sort: { s: 1 } }]) {
      await expect(coll().aggregate([stage], { allowDiskUse: false }).toArray()).rejects.toMatchObject({
        code: 292,
        codeName: "QueryExceededMemoryLimitNoDiskUseAllowed",
      });
      expect(
        await coll()
          .aggregate([stage, { $count: "n" }], { allowDiskUse: true })
          .toArray(),
      ).toEqual([{ n }]);
    }
  });

  it("$sort then $limit is a top-k sort: it holds k documents, so it passes without allowDiskUse", async () => {
    const rows = await coll()
      .aggregate([{ $sort: { i: -1 } }, { $limit: 2 }, { $project: { _id: 0, i: 1 } }], { allowDiskUse: false })
      .toArray();
    expect(rows).toEqual([{ i: n - 1 }, { i: n - 2 }]);
  });

  it("small groups stay well inside the limit", async () => {
    const rows = await coll()
      .aggregate([{ $group: { _id: "$g", n: { $sum: 1 } } }, { $sort: { _id: 1 } }])
      .toArray();
    expect(rows.map((r) => r.n)).toEqual([6667, 6667, 6666]);
  });
});
