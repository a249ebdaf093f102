import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Credentials } from "../../server/src/auth/bootstrap.js";
import { createTenantWithClient, restCall, startTestServer, type TestServer } from "../helpers/server.js";

let s: TestServer;
let sci: Credentials;
let other: Credentials;

const H1 = "2024-03-01T10:00:00Z";
const H3 = "2024-03-01T12:00:00Z";
const jobType = (id: number, name: string) => ({
  id,
  name,
  version: "1.0",
  title: name.toUpperCase(),
  description: `The ${name} job`,
  category: "test",
  is_system: false,
  is_long_running: false,
  is_active: true,
  is_operational: true,
  is_paused: false,
  icon_code: "f013",
});

async function get(creds: Credentials, path: string) {
  const res = await restCall(s, creds, path);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function post(creds: Credentials, path: string, body: unknown) {
  const res = await restCall(s, creds, path, { method: "POST", body: JSON.stringify(body) });
  const json = (await res.json()) as Record<string, any>;
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json;
}

beforeAll(async () => {
  s = await startTestServer();
  sci = await createTenantWithClient(s, "sci", "root");
  other = await createTenantWithClient(s, "other", "root");
  const r = await post(sci, "/v6/metrics/job-types/rows", {
    choices: [jobType(1, "alpha"), jobType(2, "beta"), jobType(3, "gamma")],
    rows: [
      {
        choice_id: 1,
        occurred: H1,
        values: {
          job_time_sum: 10,
          job_time_min: 1,
          job_time_max: 5,
          job_time_avg: 2,
          completed_count: 3,
          total_count: 4,
        },
      },
      {
        choice_id: 2,
        occurred: H1,
        values: {
          job_time_sum: 20,
          job_time_min: 2,
          job_time_max: 7,
          job_time_avg: 4,
          completed_count: 1,
          total_count: 1,
        },
      },
      { choice_id: 3, occurred: H1, values: { job_time_sum: 30, job_time_min: 3, job_time_max: 9, job_time_avg: 6 } },
      {
        choice_id: 1,
        occurred: "2024-03-01T11:59:59Z",
        values: { job_time_sum: 1, job_time_min: 1, job_time_max: 1, job_time_avg: 1, failed_count: 2, total_count: 2 },
      },
      { choice_id: 3, occurred: H3, values: { job_time_sum: 8, job_time_min: 8, job_time_max: 8, job_time_avg: 8 } },
    ],
  });
  expect(r.result).toMatchObject({ inserted: 5, rejected: 0 });
  await post(other, "/v6/metrics/job-types/rows", {
    choices: [jobType(9, "secret")],
    rows: [{ choice_id: 9, occurred: H1, values: { job_time_sum: 1000, completed_count: 1000 } }],
  });
});
afterAll(async () => {
  await s?.stop();
});

const plot = (q: string) =>
  get(sci, `/v6/metrics/job-types/plot-data/?started=2024-03-01T00:00:00Z&ended=2024-03-02T00:00:00Z&${q}`);

describe("GET /v6/metrics/", () => {
  it("lists the three types in the document's shape", async () => {
    const { status, body } = await get(sci, "/v6/metrics/");
    expect(status).toBe(200);
    expect(body).toMatchObject({ count: 3, next: null, previous: null });
    expect(body.results.map((r: { name: string }) => r.name)).toEqual(["job-types", "errors", "ingests"]);
    const jt = body.results[0];
    expect(Object.keys(jt)).toEqual(["name", "title", "description", "filters", "groups", "columns"]);
    expect(jt).toMatchObject({
      title: "Job Types",
      description: "Metrics for jobs and executions grouped by job type.",
      filters: [
        { param: "name", type: "string" },
        { param: "version", type: "string" },
      ],
    });
    expect(jt.columns[0]).toEqual({
      name: "completed_count",
      title: "Completed Count",
      description: "Number of successfully completed jobs.",
      units: "count",
      group: "overview",
      aggregate: "sum",
    });
    expect(jt.columns).toHaveLength(4 + 3 + 6 * 4);
    expect(jt.columns.find((c: { name: string }) => c.name === "stage_time_max").aggregate).toBe("max");
    expect(jt.columns.find((c: { name: string }) => c.name === "run_time_min")).toMatchObject({
      title: "Run Time (Min)",
      description: "Minimum time spent running the pre, job, and post tasks.",
      units: "seconds",
      group: "run_time",
      aggregate: "min",
    });
  });

  it("paginates with absolute next/previous URLs; past the end is 404 Invalid page.; scale-ui's page_size=null means 100", async () => {
    const p1 = await get(sci, "/v6/metrics/?page_size=1");
    expect(p1.body.results).toHaveLength(1);
    expect(p1.body.next).toBe(`${s.url}/v6/metrics/?page_size=1&page=2`);
    const p2 = await get(sci, "/v6/metrics/?page_size=1&page=2");
    expect(p2.body.previous).toBe(`${s.url}/v6/metrics/?page_size=1&page=1`);
    expect(await get(sci, "/v6/metrics/?page=4")).toEqual({ status: 404, body: { detail: "Invalid page." } });
    expect(await get(sci, "/v6/metrics/?page=abc")).toEqual({ status: 404, body: { detail: "Invalid page." } });
    const ui = await get(sci, "/v6/metrics/?page=1&page_size=null");
    expect(ui.status).toBe(200);
    expect(ui.body.results).toHaveLength(3);
    expect((await get(sci, "/v6/metrics/?page_size=5000")).body.results).toHaveLength(3);
  });
});

describe("GET /v6/metrics/{name}/", () => {
  it("the type with the caller tenant's choices only, every field present", async () => {
    const { status, body } = await get(sci, "/v6/metrics/job-types/");
    expect(status).toBe(200);
    expect(body.name).toBe("job-types");
    expect(body.choices.map((c: { id: number }) => c.id)).toEqual([1, 2, 3]);
    expect(body.choices[0]).toEqual({ ...jobType(1, "alpha"), author_name: null, author_url: null });
    expect((await get(other, "/v6/metrics/job-types")).body.choices.map((c: { id: number }) => c.id)).toEqual([9]);
  });

  it("unknown name → 404 Not found.", async () => {
    expect(await get(sci, "/v6/metrics/nope/")).toEqual({ status: 404, body: { detail: "Not found." } });
    expect(await get(sci, "/v6/metrics/nope/plot-data/")).toEqual({ status: 404, body: { detail: "Not found." } });
  });
});

describe("GET /v6/metrics/{name}/plot-data/", () => {
  it("merges three job types per hour by each column's aggregate", async () => {
    const { body } = await plot("column=job_time_sum&column=job_time_min&column=job_time_max&column=job_time_avg");
    expect(body.count).toBe(4);
    const byName = Object.fromEntries(body.results.map((r: { column: { name: string } }) => [r.column.name, r]));
    expect(byName.job_time_sum.values[0]).toEqual({ datetime: "2024-03-01T10:00:00", value: 60 });
    expect(byName.job_time_min.values[0].value).toBe(1);
    expect(byName.job_time_max.values[0].value).toBe(9);
    expect(byName.job_time_avg.values[0].value).toBe(4);
    // Values oldest first, one per hour with data, and the axis bounds.
    expect(byName.job_time_sum.values.map((v: { datetime: string }) => v.datetime)).toEqual([
      "2024-03-01T10:00:00",
      "2024-03-01T11:00:00",
      "2024-03-01T12:00:00",
    ]);
    expect(byName.job_time_sum).toMatchObject({ min_x: "2024-03-01", max_x: "2024-03-01", min_y: 1, max_y: 60 });
    expect(byName.job_time_sum.column).toEqual({
      name: "job_time_sum",
      title: "Job Task Time (Sum)",
      description: "Total time spent on the actual job task.",
      units: "seconds",
      group: "job_time",
      aggregate: "sum",
    });
  });

  it("group=overview selects its four columns; column + group is the union, in catalogue order", async () => {
    expect((await plot("group=overview")).body.results.map((r: { column: { name: string } }) => r.column.name)).toEqual(
      ["completed_count", "failed_count", "canceled_count", "total_count"],
    );
    expect(
      (await plot("group=overview&column=job_time_avg&page=1&page_size=null")).body.results.map(
        (r: { column: { name: string } }) => r.column.name,
      ),
    ).toEqual(["completed_count", "failed_count", "canceled_count", "total_count", "job_time_avg"]);
  });

  it("every column when none is named, even without values; an hour where all inputs are null has no value", async () => {
    const { body } = await plot("page_size=1000");
    expect(body.count).toBe(31);
    const canceled = body.results.find((r: { column: { name: string } }) => r.column.name === "canceled_count");
    expect(canceled).toMatchObject({ min_x: null, max_x: null, min_y: null, max_y: null, values: [] });
    const failed = body.results.find((r: { column: { name: string } }) => r.column.name === "failed_count");
    expect(failed.values).toEqual([{ datetime: "2024-03-01T11:00:00", value: 2 }]);
  });

  it("two or more choices: one value per choice with id; exactly one: no id", async () => {
    const two = await plot("column=job_time_sum&choice_id=1&choice_id=3");
    expect(two.body.results[0].values).toEqual([
      { id: 1, datetime: "2024-03-01T10:00:00", value: 10 },
      { id: 3, datetime: "2024-03-01T10:00:00", value: 30 },
      { id: 1, datetime: "2024-03-01T11:00:00", value: 1 },
      { id: 3, datetime: "2024-03-01T12:00:00", value: 8 },
    ]);
    const one = await plot("column=job_time_sum&choice_id=3");
    expect(one.body.results[0].values).toEqual([
      { datetime: "2024-03-01T10:00:00", value: 30 },
      { datetime: "2024-03-01T12:00:00", value: 8 },
    ]);
  });

  it("started/ended as ISO datetimes with offsets, and as durations relative to now", async () => {
    const offset = await get(
      sci,
      "/v6/metrics/job-types/plot-data/?column=job_time_sum&started=2024-03-01T12:30:00%2B01:00&ended=2024-03-01T13:00:00%2B01:00",
    );
    expect(offset.body.results[0].values).toEqual([
      { datetime: "2024-03-01T11:00:00", value: 1 },
      { datetime: "2024-03-01T12:00:00", value: 8 },
    ]);
    const now = new Date();
    const hour = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000 - 3_600_000).toISOString();
    await post(sci, "/v6/metrics/job-types/rows", {
      rows: [{ choice_id: 2, occurred: hour, values: { queue_time_sum: 42 } }],
    });
    const recent = await get(sci, "/v6/metrics/job-types/plot-data/?column=queue_time_sum&started=PT3H0M0S");
    expect(recent.body.results[0].values).toEqual([{ datetime: hour.slice(0, 19), value: 42 }]);
  });

  it("bad input → the documented status and detail", async () => {
    const cases: [string, number, string][] = [
      ["started=yesterday", 400, "Invalid ISO timestamp format for parameter: started"],
      ["started=PT&ended=2024-01-01T00:00:00Z", 400, "Invalid ISO timestamp format for parameter: started"],
      ["started=2024-01-01T00:00:00Z&ended=2024-13-01", 400, "Invalid ISO timestamp format for parameter: ended"],
      ["started=2024-01-01T00:00:00Z&ended=2024-01-01T00:00:00Z", 400, "Start and end values must be different"],
      ["started=2024-01-02T00:00:00Z&ended=2024-01-01T00:00:00Z", 400, "Start time must come before end time"],
      ["column=nope", 400, "Invalid column name: nope"],
      ["group=nope", 400, "Invalid group name: nope"],
      ["choice_id=9", 400, "Invalid choice_id: 9"],
      ["choice_id=777", 400, "Invalid choice_id: 777"],
      ["page=3", 404, "Invalid page."],
    ];
    for (const [q, status, detail] of cases)
      expect(await get(sci, `/v6/metrics/job-types/plot-data/?${q}`), q).toEqual({ status, body: { detail } });
    const unauth = await fetch(`${s.url}/v6/metrics/`);
    expect(unauth.status).toBe(401);
    expect(await unauth.json()).toEqual({ detail: "Authentication credentials were not provided." });
  });

  it("tenancy: another tenant's values never appear in merged sums", async () => {
    const { body } = await plot("column=completed_count");
    expect(body.results[0].values).toEqual([{ datetime: "2024-03-01T10:00:00", value: 4 }]);
    const theirs = await get(
      other,
      "/v6/metrics/job-types/plot-data/?started=2024-03-01T00:00:00Z&ended=2024-03-02T00:00:00Z&column=completed_count",
    );
    expect(theirs.body.results[0].values).toEqual([{ datetime: "2024-03-01T10:00:00", value: 1000 }]);
  });
});

describe("raw events maintain the hourly rows", () => {
  it("folds job events into counts and timing columns; a replayed event changes nothing", async () => {
    await post(sci, "/v6/metrics/job-types/rows", { choices: [jobType(20, "evented")], rows: [] });
    const events = [
      {
        id: "e1",
        choice_id: 20,
        occurred: "2024-05-01T08:10:00Z",
        outcome: "completed",
        measures: { run_time: 10, queue_time: 2 },
      },
      { id: "e2", choice_id: 20, occurred: "2024-05-01T08:20:00Z", outcome: "completed", measures: { run_time: 30 } },
      {
        id: "e3",
        choice_id: 20,
        occurred: "2024-05-01T08:30:00Z",
        outcome: "failed",
        error_category: "data",
        measures: { run_time: 5 },
      },
    ];
    const first = await post(sci, "/v6/metrics/job-types/events", { events });
    expect(first.result).toMatchObject({ inserted: 3, rejected: 0 });
    await post(sci, "/v6/metrics/job-types/events", { events: [events[0]] });
    const { body } = await get(
      sci,
      "/v6/metrics/job-types/plot-data/?choice_id=20&started=2024-05-01T00:00:00Z&ended=2024-05-02T00:00:00Z&page_size=1000",
    );
    const v = (name: string) =>
      body.results
        .find((r: { column: { name: string } }) => r.column.name === name)
        .values.map((x: { value: number }) => x.value);
    expect(v("completed_count")).toEqual([2]);
    expect(v("failed_count")).toEqual([1]);
    expect(v("total_count")).toEqual([3]);
    expect(v("error_data_count")).toEqual([1]);
    expect(v("error_system_count")).toEqual([0]);
    expect(v("run_time_sum")).toEqual([45]);
    expect(v("run_time_min")).toEqual([5]);
    expect(v("run_time_max")).toEqual([30]);
    expect(v("run_time_avg")).toEqual([15]);
    expect(v("queue_time_sum")).toEqual([2]);
    expect(v("pre_time_sum")).toEqual([]);
  });

  it("rejects bad events by index and field", async () => {
    const r = await post(sci, "/v6/metrics/job-types/events", {
      events: [
        { id: "", choice_id: 20, occurred: "2024-05-01T08:10:00Z", outcome: "completed" },
        { id: "x1", choice_id: 999, occurred: "2024-05-01T08:10:00Z", outcome: "completed" },
        { id: "x2", choice_id: 20, occurred: "2024-05-01T08:10:00Z", outcome: "exploded" },
        { id: "x3", choice_id: 20, occurred: "2024-05-01T08:10:00Z", outcome: "completed", measures: { file_size: 1 } },
      ],
    });
    expect(r.result.rejections.map((x: { index: number; field: string }) => [x.index, x.field])).toEqual([
      [0, "id"],
      [1, "choice_id"],
      [2, "outcome"],
      [3, "measures"],
    ]);
  });
});
