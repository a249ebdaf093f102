import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { MongoClient } from "mongodb";
import { startEmbeddedMongo } from "../../server/src/embedded-mongo/index.js";
import { demoJobs } from "../../server/src/demo/jobs.js";
import type { JobDoc } from "../../server/src/apis/jobs/job-doc.js";
import { fmtMs, medianMs, ratio, type Figure } from "./stats.js";

/**
 * The embedded database against the practical floor: a hand-written single pass over the same
 * documents in the same process. Inserts go over the wire through the real driver.
 */
export async function benchEmbedded(sizes: number[]): Promise<Figure[]> {
  const out: Figure[] = [];
  for (const n of sizes) {
    const m = await startEmbeddedMongo();
    const client = await new MongoClient(m.uri).connect();
    const coll = client.db("bench").collection("jobs");
    const docs: (JobDoc & { tenantId: string })[] = [...demoJobs(new Date(), n)].map((d) => ({ ...d, tenantId: "t" }));
    const size = `${n.toLocaleString("en")} jobs`;
    /** Insert rate with `inflight` batches of 5,000 outstanding (a bulk loader keeps several in flight). */
    const rate = async (uri: string, inflight: number, coll: string) => {
      const c = await new MongoClient(uri, { maxPoolSize: 8 }).connect();
      const batches: (typeof docs)[] = [];
      for (let i = 0; i < docs.length; i += 5_000) batches.push(docs.slice(i, i + 5_000));
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: inflight }, async () => {
          while (next < batches.length)
            await c
              .db("bench")
              .collection(coll)
              .insertMany(batches[next++]!.map((d) => ({ ...d })));
        }),
      );
      const r = Math.round(n / ((performance.now() - t0) / 1000));
      await c.close();
      return r;
    };
    // The database in its own process, as it runs behind `npm start` for other clients, and in this one.
    const child = spawn(
      process.execPath,
      ["--import", "tsx", fileURLToPath(new URL("../embedded-mongo/child-server.ts", import.meta.url))],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const childUri = await new Promise<string>((resolve) =>
      child.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim())),
    );
    const sequential = await rate(childUri, 1, "seq");
    const pipelined = await rate(childUri, 4, "par");
    child.kill();
    const sameProcess = await rate(m.uri, 1, "ins");
    out.push({
      section: "embedded-db",
      name: "insert over the wire, own process, 1 batch in flight",
      size,
      value: `${sequential.toLocaleString("en")} docs/s`,
      target: "≥ 100,000 docs/s",
      note: "in-memory, batches of 5,000",
    });
    out.push({
      section: "embedded-db",
      name: "insert over the wire, own process, 4 batches in flight",
      size,
      value: `${pipelined.toLocaleString("en")} docs/s`,
      target: "≥ 100,000 docs/s",
    });
    out.push({
      section: "embedded-db",
      name: "insert over the wire, same process as the client",
      size,
      value: `${sameProcess.toLocaleString("en")} docs/s`,
    });
    for (let i = 0; i < docs.length; i += 10_000)
      await coll.insertMany(docs.slice(i, i + 10_000).map((d) => ({ ...d })));

    const groupMs = await medianMs(
      () =>
        coll
          .aggregate([
            { $match: { tenantId: "t", application: "atr" } },
            { $group: { _id: "$job.state", n: { $sum: 1 } } },
          ])
          .toArray(),
      3,
    );
    const groupLoop = await medianMs(() => {
      const counts = new Map<string, number>();
      for (const d of docs)
        if (d.tenantId === "t" && d.application === "atr") counts.set(d.job.state, (counts.get(d.job.state) ?? 0) + 1);
      return counts;
    }, 3);
    out.push({
      section: "embedded-db",
      name: "$match+$group by one field",
      size,
      value: fmtMs(groupMs),
      baseline: fmtMs(groupLoop),
      ratio: ratio(groupMs, groupLoop),
      target: "≤ 5× at 1M",
    });

    const histMs = await medianMs(
      () =>
        coll
          .aggregate([
            { $match: { tenantId: "t" } },
            { $group: { _id: { $dateTrunc: { date: "$timestamp", unit: "day" } }, n: { $sum: 1 } } },
            { $sort: { _id: 1 } },
          ])
          .toArray(),
      3,
    );
    const histLoop = await medianMs(() => {
      const counts = new Map<number, number>();
      for (const d of docs)
        if (d.tenantId === "t") {
          const day = d.timestamp.getTime() - (d.timestamp.getTime() % 86_400_000);
          counts.set(day, (counts.get(day) ?? 0) + 1);
        }
      return [...counts.entries()].sort((a, b) => a[0] - b[0]);
    }, 3);
    out.push({
      section: "embedded-db",
      name: "daily $dateTrunc histogram",
      size,
      value: fmtMs(histMs),
      baseline: fmtMs(histLoop),
      ratio: ratio(histMs, histLoop),
      target: "≤ 5× at 1M",
    });
    await client.close();
    await m.stop();
  }
  return out;
}
