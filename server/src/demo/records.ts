import { toRecordDoc, type RecordDoc } from "../apis/records/record-doc.js";
import { Random } from "./random.js";

const pipelines = ["build", "test", "deploy", "lint"] as const;
const repos = ["org/frontend", "org/backend", "org/infra"] as const;
const reasons = [
  ["Succeeded", 78],
  ["Failed", 10],
  ["Cancelled", 3],
  ["PipelineRunTimeout", 2],
  ["Completed", 4],
  ["Running", 3],
] as const;

/** PipelineRuns, each with three TaskRuns, over `days` days before `now` in the given namespaces. */
export function* demoRecords(
  now: Date,
  namespaces: readonly string[],
  runsPerDay: number,
  days = 60,
  seed = 11,
): Generator<RecordDoc> {
  const r = new Random(seed);
  let n = 0;
  for (let d = days; d > 0; d--) {
    for (let i = 0; i < runsPerDay; i++) {
      const ns = r.pick(namespaces);
      const pipeline = r.pick(pipelines);
      const created = new Date(now.getTime() - d * 86_400_000 + r.next() * 86_400_000);
      const reason = r.weighted(reasons);
      const start = new Date(created.getTime() + r.int(1, 20) * 1000);
      const seconds = Math.round(r.logNormal(pipeline === "deploy" ? 240 : 90, 0.7));
      const done = reason !== "Running";
      const name = `${pipeline}-run-${++n}`;
      const labels = { "tekton.dev/pipeline": pipeline };
      const annotations = { "pipelinesascode.tekton.dev/repository": r.pick(repos) };
      const status = (end?: Date) => ({
        startTime: start.toISOString(),
        ...(end ? { completionTime: end.toISOString() } : {}),
        conditions: [
          {
            type: "Succeeded",
            status: reason === "Succeeded" || reason === "Completed" ? "True" : done ? "False" : "Unknown",
            reason,
          },
        ],
      });
      const end = done ? new Date(start.getTime() + seconds * 1000) : undefined;
      yield toRecordDoc(ns, "default", name, "tekton.dev/v1.PipelineRun", {
        kind: "PipelineRun",
        metadata: { name, namespace: ns, creationTimestamp: created.toISOString(), labels, annotations },
        spec: { pipelineRef: { name: pipeline } },
        status: status(end),
      });
      for (const task of ["fetch", "run", "report"]) {
        const tEnd = end ? new Date(start.getTime() + Math.round(seconds * r.next() * 1000)) : undefined;
        yield toRecordDoc(ns, "default", `${name}-${task}`, "tekton.dev/v1.TaskRun", {
          kind: "TaskRun",
          metadata: {
            name: `${name}-${task}`,
            namespace: ns,
            creationTimestamp: created.toISOString(),
            labels: { ...labels, "tekton.dev/pipelineTask": task },
            annotations,
          },
          spec: {},
          status: status(tEnd),
        });
      }
    }
  }
}
