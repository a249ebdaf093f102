import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedMongo, type EmbeddedMongo } from "../../server/src/embedded-mongo/index.js";

let m: EmbeddedMongo;
let client: MongoClient;

beforeAll(async () => {
  m = await startEmbeddedMongo();
  client = await new MongoClient(m.uri, { maxPoolSize: 20 }).connect();
  const coll = client.db("slices").collection("big");
  for (let i = 0; i < 10; i++)
    await coll.insertMany(
      Array.from({ length: 20_000 }, (_, j) => ({ t: "heavy", n: i * 20_000 + j, s: `k${j % 5000}` })),
    );
  await client
    .db("slices")
    .collection("small")
    .insertMany(Array.from({ length: 50 }, (_, n) => ({ n })));
});
afterAll(async () => {
  await client?.close();
  await m?.stop();
});

/** Many passes over 200,000 documents: hundreds of milliseconds of engine time. */
const heavy = () =>
  client
    .db("slices")
    .collection("big")
    .aggregate([
      {
        $facet: Object.fromEntries(
          Array.from({ length: 6 }, (_, k) => [
            `f${k}`,
            [{ $group: { _id: { $concat: ["$s", String(k)] }, n: { $sum: "$n" } } }],
          ]),
        ),
      },
    ])
    .toArray();
const cheap = async () => {
  const t0 = performance.now();
  const rows = await client
    .db("slices")
    .collection("small")
    .aggregate([{ $group: { _id: null, n: { $sum: "$n" } } }])
    .toArray();
  expect(rows[0]!.n).toBe(1225);
  return performance.now() - t0;
};

describe("long reads run in slices", () => {
  it("a cheap aggregation is answered between the slices of heavy ones, not after them", async () => {
    const t0 = performance.now();
    await heavy();
    const heavyAlone = performance.now() - t0;
    const running = [heavy(), heavy(), heavy()];
    await new Promise((r) => setTimeout(r, 20));
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) waits.push(await cheap());
    const results = await Promise.all(running);
    // The heavy ones still give their full answers.
    for (const [doc] of results) expect((doc!.f0 as unknown[]).length).toBe(5000);
    // Waiting behind three heavy reads would take about 3 × heavyAlone.
    expect(heavyAlone).toBeGreaterThan(150);
    expect(Math.max(...waits)).toBeLessThan(Math.max(60, heavyAlone / 4));
  });

  it("maxTimeMS holds across slices", async () => {
    const t0 = performance.now();
    const err = await client
      .db("slices")
      .collection("big")
      .aggregate(
        [
          {
            $facet: Object.fromEntries(
              Array.from({ length: 40 }, (_, k) => [
                `f${k}`,
                [{ $group: { _id: { $concat: ["$s", String(k)] }, n: { $sum: 1 } } }],
              ]),
            ),
          },
        ],
        { maxTimeMS: 100 },
      )
      .toArray()
      .then(
        () => undefined,
        (e: unknown) => e as { code?: number },
      );
    expect(err?.code).toBe(50);
    expect(performance.now() - t0).toBeLessThan(600);
  });
});
