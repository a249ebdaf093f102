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
    const t0 = performance.now();
    for (let i = 0; i < docs.length; i += 10_000) await coll.insertMany(docs.slice(i, i + 10_000).map((d) => ({ ...d })));
    const insertSecs = (performance.now() - t0) / 1000;
    out.push({ section: "embedded-db", name: "insert over the wire", size, value: `${Math.round(n / insertSecs).toLocaleString("en")} docs/s`, target: "≥ 100,000 docs/s" });

    const groupMs = await medianMs(() => coll.aggregate([{ $match: { tenantId: "t", application: "atr" } }, { $group: { _id: "$job.state", n: { $sum: 1 } } }]).toArray(), 3);
    const groupLoop = await medianMs(() => {
      const counts = new Map<string, number>();
      for (const d of docs) if (d.tenantId === "t" && d.application === "atr") counts.set(d.job.state, (counts.get(d.job.state) ?? 0) + 1);
      return counts;
    }, 3);
    out.push({ section: "embedded-db", name: "$match+$group by one field", size, value: fmtMs(groupMs), baseline: fmtMs(groupLoop), ratio: ratio(groupMs, groupLoop), target: "≤ 5× at 1M" });

    const histMs = await medianMs(() => coll.aggregate([{ $match: { tenantId: "t" } }, { $group: { _id: { $dateTrunc: { date: "$timestamp", unit: "day" } }, n: { $sum: 1 } } }, { $sort: { _id: 1 } }]).toArray(), 3);
    const histLoop = await medianMs(() => {
      const counts = new Map<number, number>();
      for (const d of docs) if (d.tenantId === "t") {
        const day = d.timestamp.getTime() - (d.timestamp.getTime() % 86_400_000);
        counts.set(day, (counts.get(day) ?? 0) + 1);
      }
      return [...counts.entries()].sort((a, b) => a[0] - b[0]);
    }, 3);
    out.push({ section: "embedded-db", name: "daily $dateTrunc histogram", size, value: fmtMs(histMs), baseline: fmtMs(histLoop), ratio: ratio(histMs, histLoop), target: "≤ 5× at 1M" });
    await client.close();
    await m.stop();
  }
  return out;
}
