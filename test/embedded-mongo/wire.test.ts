import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MongoClient, MongoServerError } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedMongo, type EmbeddedMongo } from "../../server/src/embedded-mongo/index.js";

let m: EmbeddedMongo;
let client: MongoClient;

beforeAll(async () => {
  m = await startEmbeddedMongo();
  client = await new MongoClient(m.uri).connect();
});
afterAll(async () => {
  await client?.close();
  await m?.stop();
});

describe("wire protocol and commands through the real driver", () => {
  it("returns more than 16 MiB of results, split into batches by size", async () => {
    const coll = client.db("wire").collection("big");
    const pad = "x".repeat(1000);
    for (let i = 0; i < 4; i++)
      await coll.insertMany(Array.from({ length: 5000 }, (_, j) => ({ n: i * 5000 + j, pad })));
    let n = 0;
    let bytes = 0;
    for await (const d of coll.find({}, { batchSize: 100_000 })) {
      n++;
      bytes += (d.pad as string).length;
    }
    expect(n).toBe(20_000);
    expect(bytes).toBeGreaterThan(16 * 1024 * 1024);
    expect((await coll.aggregate([{ $match: {} }]).toArray()).length).toBe(20_000);
  });

  it("answers MongoDB's error codes", async () => {
    const db = client.db("wire");
    await db.collection("u").createIndex({ k: 1 }, { unique: true });
    await db.collection("u").insertOne({ k: 1 });
    await expect(db.collection("u").insertOne({ k: 1 })).rejects.toMatchObject({ code: 11000 });
    await expect(
      db.collection("u").insertMany([{ k: 2 }, { k: 1 }, { k: 3 }], { ordered: false }),
    ).rejects.toMatchObject({ code: 11000 });
    expect(await db.collection("u").countDocuments()).toBe(3);
    await expect(db.command({ noSuchCommand: 1 })).rejects.toMatchObject({ code: 59, codeName: "CommandNotFound" });
    await expect(db.collection("missing").listIndexes().toArray()).rejects.toMatchObject({ code: 26 });
    expect(
      await db
        .collection("missing")
        .drop()
        .catch(() => "threw"),
    ).toBe(true);
    const indexes = await db.collection("u").listIndexes().toArray();
    expect(indexes.map((i) => i.name)).toEqual(["_id_", "k_1"]);
    await expect(
      db
        .collection("u")
        .aggregate([{ $match: { $where: "true" } }])
        .toArray(),
    ).rejects.toBeInstanceOf(MongoServerError);
  });

  it("a standalone refuses transactions with IllegalOperation (20), which the driver reports as it does for mongod", async () => {
    const session = client.startSession();
    try {
      // The driver turns the server's code 20 ("Transaction numbers are only allowed ...") into this message.
      await expect(
        session.withTransaction(async () => client.db("wire").collection("t").insertOne({ a: 1 }, { session })),
      ).rejects.toThrow(/does not support retryable writes/);
    } finally {
      await session.endSession();
    }
  });

  it("maxTimeMS expires on a slow aggregation (50)", async () => {
    const coll = client.db("wire").collection("slow");
    await coll.insertMany(Array.from({ length: 30_000 }, (_, i) => ({ i, g: i % 1000 })));
    await expect(
      coll.aggregate([{ $group: { _id: "$g", s: { $sum: "$i" } } }, { $sort: { s: -1 } }], { maxTimeMS: 1 }).toArray(),
    ).rejects.toMatchObject({ code: 50 });
  });

  it("maxTimeMS stops the aggregation while it runs, instead of after it finishes", async () => {
    const coll = client.db("wire").collection("unwind");
    await coll.insertMany(
      Array.from({ length: 1_200 }, (_, i) => ({ i, xs: Array.from({ length: 400 }, (_, j) => j) })),
    );
    const pipeline = [
      { $unwind: "$xs" },
      { $set: { y: { $multiply: ["$xs", "$i"] } } },
      { $group: { _id: { $mod: ["$y", 997] }, s: { $sum: "$y" } } },
    ];
    let t0 = performance.now();
    expect(await coll.aggregate(pipeline).toArray()).toHaveLength(997);
    const whole = performance.now() - t0;
    t0 = performance.now();
    await expect(coll.aggregate(pipeline, { maxTimeMS: 20 }).toArray()).rejects.toMatchObject({
      code: 50,
      codeName: "MaxTimeMSExpired",
    });
    const limited = performance.now() - t0;
    expect(limited, `whole run ${whole.toFixed(0)} ms, limited ${limited.toFixed(0)} ms`).toBeLessThan(whole / 3);
  });

  it("countDocuments, estimatedDocumentCount, distinct, upserts, findOneAndUpdate", async () => {
    const c = client.db("wire").collection("misc");
    await c.insertMany([
      { a: 1, t: "x" },
      { a: 2, t: "y" },
      { a: 3, t: "x" },
    ]);
    expect(await c.countDocuments({ t: "x" })).toBe(2);
    expect(await c.estimatedDocumentCount()).toBe(3);
    expect((await c.distinct("t")).sort()).toEqual(["x", "y"]);
    const up = await c.updateOne({ a: 9 }, { $set: { t: "z" }, $setOnInsert: { created: true } }, { upsert: true });
    expect(up.upsertedCount).toBe(1);
    expect(await c.findOne({ a: 9 }, { projection: { _id: 0 } })).toEqual({ a: 9, t: "z", created: true });
    const after = await c.findOneAndUpdate(
      { _id: "seq" as never },
      { $inc: { n: 1 } },
      { upsert: true, returnDocument: "after" },
    );
    expect(after?.n).toBe(1);
  });

  it("stores _id first, and a field named __proto__ as plain data", async () => {
    const c = client.db("wire").collection("order");
    const doc = JSON.parse('{"a": 1, "__proto__": {"polluted": true}, "b": 2}') as Record<string, unknown>;
    await c.insertOne(doc);
    const back = (await c.findOne({})) as Record<string, unknown>;
    expect(Object.keys(back)).toEqual(["_id", "a", "__proto__", "b"]);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("durability", () => {
  it("a restart replays the journal; a torn last record is cut off", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tally-emb-"));
    const a = await startEmbeddedMongo({ dataDir: dir });
    const ca = await new MongoClient(a.uri).connect();
    await ca
      .db("d")
      .collection("c")
      .insertMany(Array.from({ length: 100 }, (_, i) => ({ i })));
    await ca.db("d").collection("c").createIndex({ i: 1 }, { unique: true });
    await ca.db("d").collection("c").deleteOne({ i: 0 });
    await ca.close();
    await a.stop();
    appendFileSync(join(dir, "journal.bson"), Buffer.from([0x40, 0, 0, 0, 3, 0x6b]));
    const b = await startEmbeddedMongo({ dataDir: dir });
    const cb = await new MongoClient(b.uri).connect();
    expect(await cb.db("d").collection("c").countDocuments()).toBe(99);
    await expect(cb.db("d").collection("c").insertOne({ i: 5 })).rejects.toMatchObject({ code: 11000 });
    await cb.close();
    await b.stop();
  });

  it("kill -9 in the middle of a bulk insert loses no acknowledged document", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tally-kill-"));
    const child = spawn(
      process.execPath,
      ["--import", "tsx", new URL("./child-server.ts", import.meta.url).pathname, dir],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const uri = await new Promise<string>((resolve, reject) => {
      child.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim()));
      child.once("exit", () => reject(new Error("child exited early")));
    });
    const c = await new MongoClient(uri, { serverSelectionTimeoutMS: 2000 }).connect();
    const acknowledged: number[] = [];
    let killed = false;
    const writer = (async () => {
      for (let batch = 0; batch < 10_000 && !killed; batch++) {
        const docs = Array.from({ length: 500 }, (_, i) => ({ _id: batch * 500 + i, pad: "p".repeat(100) }));
        try {
          await c
            .db("d")
            .collection("c")
            .insertMany(docs as never[]);
          acknowledged.push(...docs.map((d) => d._id));
        } catch {
          return;
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 700));
    killed = true;
    child.kill("SIGKILL");
    await writer;
    await c.close(true).catch(() => undefined);
    expect(acknowledged.length).toBeGreaterThan(0);
    const again = await startEmbeddedMongo({ dataDir: dir });
    const c2 = await new MongoClient(again.uri).connect();
    const ids = new Set(
      (
        await c2
          .db("d")
          .collection("c")
          .find({}, { projection: { _id: 1 } })
          .toArray()
      ).map((d) => d._id as unknown as number),
    );
    expect(acknowledged.filter((id) => !ids.has(id))).toEqual([]);
    await c2.close();
    await again.stop();
  });
});

describe("updates through a unique index", () => {
  it("an upsert by the unique key finds its document without a scan, and still honours the rest of the filter", async () => {
    const c = client.db("wire").collection("keyed");
    await c.createIndex({ t: 1, k: 1 }, { unique: true });
    await c.insertMany(Array.from({ length: 1000 }, (_, i) => ({ t: "a", k: i, v: 0 })));
    const hit = await c.updateOne({ t: "a", k: 7 }, { $set: { v: 1 } });
    expect(hit).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    const narrowed = await c.updateOne({ t: "a", k: 8, v: 99 }, { $set: { v: 2 } });
    expect(narrowed.matchedCount).toBe(0);
    const upsert = await c.replaceOne({ t: "a", k: 5000 }, { t: "a", k: 5000, v: 3 }, { upsert: true });
    expect(upsert.upsertedCount).toBe(1);
    await expect(c.updateOne({ t: "a", k: 9 }, { $set: { k: 7 } })).rejects.toMatchObject({ code: 11000 });
    expect(await c.deleteOne({ _id: (await c.findOne({ k: 7 }))!._id })).toMatchObject({ deletedCount: 1 });
    expect(await c.countDocuments({ v: { $gte: 1 } })).toBe(1);
  });
});
