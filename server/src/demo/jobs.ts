import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { JobDocumentSchema } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { toJobDoc, type JobDoc } from "../apis/jobs/job-doc.js";
import { Random, dailyRhythm } from "./random.js";

const applications = [
  ["atr", 5],
  ["billing", 2],
  ["search", 2],
  ["etl", 1],
] as const;
const appTypes = [
  ["ec2", 4],
  ["kubernetes", 5],
  ["lambda", 2],
  ["batch", 1],
] as const;
const domains = [
  ["your-domain-1.example.com", 5],
  ["your-domain-2.example.com", 3],
  ["internal.example.com", 2],
] as const;
const regions = [
  ["us-east-1", 4],
  ["us-west-2", 2],
  ["eu-west-1", 3],
  ["eu-central-1", 1],
] as const;
const states = [
  ["SUCCEEDED", 80],
  ["FAILED", 8],
  ["CANCELLED", 4],
  ["TIMED_OUT", 3],
  ["RUNNING", 3],
  ["PENDING", 2],
] as const;

/**
 * `count` jobs over the `days` days before `now`, following a daily and weekly rhythm; includes the
 * seed example's application (atr), app types (ec2, kubernetes) and domains.
 */
export function* demoJobs(now: Date, count: number, days = 90, seed = 7): Generator<JobDoc> {
  const r = new Random(seed);
  const span = days * 86_400_000;
  let made = 0;
  while (made < count) {
    const at = new Date(now.getTime() - r.next() * span);
    if (r.next() > dailyRhythm(at)) continue; // thinning gives the rhythm
    const state = r.weighted(states);
    const running = state === "RUNNING" || state === "PENDING";
    const duration = Math.round(r.logNormal(state === "TIMED_OUT" ? 3_600_000 : 90_000, 0.9));
    const started = new Date(at.getTime() - (running ? 0 : duration));
    const region = r.weighted(regions);
    made++;
    yield toJobDoc(
      create(JobDocumentSchema, {
        application: r.weighted(applications),
        appType: r.weighted(appTypes),
        domain: r.weighted(domains),
        region,
        timestamp: timestampFromDate(at),
        job: {
          id: `job-${seed}-${made}`,
          name: r.pick(["nightly-report", "sync-users", "rebuild-index", "export-ledger", "train-model", "backup"]),
          state,
          startedAt: timestampFromDate(started),
          finishedAt: running ? undefined : timestampFromDate(at),
          durationMs: running ? undefined : duration,
          attributes: {
            retries: {
              kind: {
                case: "numberValue",
                value: r.weighted([
                  [0, 20],
                  [1, 3],
                  [2, 1],
                ] as const),
              },
            },
            queue: { kind: { case: "stringValue", value: r.pick(["default", "priority", "bulk"]) } },
          },
        },
      }),
    );
  }
}
