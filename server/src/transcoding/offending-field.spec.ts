import { describe, expect, it } from "vitest";
import { JobDocumentSchema } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { describeDecodeFailure } from "./offending-field.js";

describe("describeDecodeFailure: the field", () => {
  it("names the first field that fails, nested paths included", () => {
    expect(describeDecodeFailure(JobDocumentSchema, { application: "a", "@timestamp": "yesterday" }).field).toBe(
      "@timestamp",
    );
    expect(describeDecodeFailure(JobDocumentSchema, { job: { id: "x", started_at: 5 } }).field).toBe("job.started_at");
    expect(describeDecodeFailure(JobDocumentSchema, { nope: 1 }).field).toBe("nope");
    expect(describeDecodeFailure(JobDocumentSchema, []).field).toBe("");
  });
});

describe("describeDecodeFailure", () => {
  it("says what the field expects and never repeats the offending value", () => {
    const secret = "s3cr3t-value-".repeat(100);
    const cases: [unknown, string, RegExp][] = [
      [secret, "", /JSON object/],
      [{ "@timestamp": secret }, "@timestamp", /RFC 3339 timestamp/],
      [{ job: { started_at: secret } }, "job.started_at", /RFC 3339 timestamp/],
      [{ job: { duration_ms: secret } }, "job.duration_ms", /a number/],
      [{ application: { x: secret } }, "application", /a string/],
      [{ [secret]: 1 }, `${secret.slice(0, 100)}…`, /unknown field/],
    ];
    for (const [value, field, reason] of cases) {
      const got = describeDecodeFailure(JobDocumentSchema, value as never);
      expect(got.field).toBe(field);
      expect(got.reason).toMatch(reason);
      expect(got.reason).not.toContain("s3cr3t");
    }
  });
});

describe("describeDecodeFailure inside maps and lists", () => {
  it("follows map values and list items down to the field", async () => {
    const { AggregateJobsRequestSchema } = await import("@tally/sdk/gen/tally/jobs/v1/jobs_pb.js");
    const got = describeDecodeFailure(AggregateJobsRequestSchema, {
      aggs: { n: { terms: { field: "job.state", size: "lots" } } },
    });
    expect(got).toEqual({ field: "aggs.n.terms.size", reason: "expected a 32-bit integer" });
  });
});
