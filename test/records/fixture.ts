/** A Tekton PipelineRun/TaskRun as the API ingests it. */
export function run(o: {
  name: string;
  kind?: "PipelineRun" | "TaskRun";
  pipeline?: string;
  repo?: string;
  reason?: string;
  created: string;
  start?: string;
  end?: string;
}) {
  const labels: Record<string, string> = {};
  if (o.pipeline) labels["tekton.dev/pipeline"] = o.pipeline;
  const annotations: Record<string, string> = {};
  if (o.repo) annotations["pipelinesascode.tekton.dev/repository"] = o.repo;
  const status: Record<string, unknown> = {};
  if (o.start) status.startTime = o.start;
  if (o.end) status.completionTime = o.end;
  if (o.reason)
    status.conditions = [{ type: "Succeeded", status: o.reason === "Succeeded" ? "True" : "False", reason: o.reason }];
  return {
    name: o.name,
    data: {
      type: `tekton.dev/v1.${o.kind ?? "PipelineRun"}`,
      value: {
        kind: o.kind ?? "PipelineRun",
        metadata: { name: o.name, creationTimestamp: o.created, labels, annotations },
        spec: {},
        status,
      },
    },
  };
}

const secs = (iso: string, s: number) => new Date(new Date(iso).getTime() + s * 1000).toISOString();

/** The hand-computed fixture (see records.test.ts for the expected figures). */
export const fixture = [
  run({
    name: "r1",
    pipeline: "build",
    repo: "org/app",
    reason: "Succeeded",
    created: "2023-12-04T10:00:00Z",
    start: "2023-12-04T10:00:05Z",
    end: secs("2023-12-04T10:00:05Z", 60),
  }),
  run({
    name: "r2",
    pipeline: "build",
    reason: "Failed",
    created: "2023-12-03T23:59:59Z",
    start: "2023-12-04T00:00:10Z",
    end: secs("2023-12-04T00:00:10Z", 90_000),
  }),
  run({
    name: "r3",
    kind: "TaskRun",
    pipeline: "build",
    reason: "Running",
    created: "2023-12-05T12:00:00Z",
    start: "2023-12-05T12:00:00Z",
  }),
  run({ name: "r4", created: "2023-12-06T07:55:30Z" }),
  run({
    name: "r5",
    pipeline: "deploy",
    reason: "Completed",
    created: "2023-12-06T07:56:00Z",
    start: "2023-12-06T07:56:00Z",
    end: "2023-12-06T07:56:01.500Z",
  }),
  run({
    name: "r6",
    pipeline: "deploy",
    reason: "PipelineRunTimeout",
    created: "2024-01-02T00:00:00Z",
    start: "2024-01-02T00:00:00Z",
    end: "2024-01-02T00:00:10Z",
  }),
  run({
    name: "r7",
    pipeline: "deploy",
    reason: "Cancelled",
    created: "2024-01-02T01:00:00Z",
    start: "2024-01-02T01:00:00Z",
    end: "2024-01-02T01:00:05Z",
  }),
];
