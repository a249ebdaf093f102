import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "@tally/sdk/gen/grpc/health/v1/health_pb.js";
import { restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;

beforeAll(async () => {
  // A small heap for the database thread, so a runaway command reaches it quickly.
  s = await startTestServer({
    TALLY_DATA_DIR: mkdtempSync(join(tmpdir(), "tally-dbproc-")),
    EMBEDDED_DB_MAX_HEAP_MB: "192",
  });
});
afterAll(async () => {
  await s?.stop();
});

const health = () => createClient(Health, createConnectTransport({ baseUrl: s.url, httpVersion: "1.1" }));
const summary = "/apis/results.tekton.dev/v1alpha2/parents/-/results/-/records/summary?summary=total";

describe("the embedded database runs in its own process, off the API's event loop", () => {
  it("health answers within 100 ms while the database is busy with a long command", async () => {
    const db = s.tally.database.db;
    const docs = Array.from({ length: 50_000 }, (_, i) => ({ i, s: `v${i % 997}` }));
    for (let i = 0; i < docs.length; i += 10_000) await db.collection("scratch").insertMany(docs.slice(i, i + 10_000));
    // Several passes of a grouping over every document: seconds of database work.
    const busy = db
      .collection("scratch")
      .aggregate([
        {
          $facet: Object.fromEntries(
            Array.from({ length: 30 }, (_, k) => [
              `f${k}`,
              [{ $group: { _id: { $concat: ["$s", String(k)] }, n: { $sum: "$i" } } }],
            ]),
          ),
        },
      ])
      .toArray();
    const started = performance.now();
    const latencies: number[] = [];
    while (performance.now() - started < 1500) {
      const t0 = performance.now();
      expect((await health().check({})).status).toBe(1);
      latencies.push(performance.now() - t0);
    }
    await busy;
    expect(latencies.length).toBeGreaterThan(5);
    expect(Math.max(...latencies)).toBeLessThan(100);
  });

  it("a command that exhausts the database's heap fails that command; the API survives, reports NOT_SERVING, and serves again after the restart", async () => {
    expect((await restCall(s, s.admin, summary)).status).toBe(200);
    const db = s.tally.database.db;
    await db.collection("one").insertOne({ x: 1 });
    const statuses: number[] = [];
    const unwatch = s.tally.app.health.onChange(() => statuses.push(s.tally.app.health.get("")!));
    // An array of 60 million numbers: far more than the 192 MiB heap.
    const err = await db
      .collection("one")
      .aggregate([{ $project: { big: { $range: [0, 60_000_000] } } }])
      .toArray()
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(err).toBeInstanceOf(Error);
    let status = 0;
    for (let i = 0; i < 80 && status !== 200; i++) {
      status = (await restCall(s, s.admin, summary)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    unwatch();
    expect(status).toBe(200);
    expect(statuses).toEqual([2, 1]); // NOT_SERVING, then SERVING
    expect(s.tally.database.embedded!.restarts).toBe(1);
    expect(await db.collection("one").countDocuments()).toBe(1); // the journal brought the data back
  }, 60_000);
});
