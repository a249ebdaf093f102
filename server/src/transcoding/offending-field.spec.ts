import { describe, expect, it } from "vitest";
import { JobDocumentSchema } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import { offendingField } from "./offending-field.js";

describe("offendingField", () => {
  it("names the first field that fails, nested paths included", () => {
    expect(offendingField(JobDocumentSchema, { application: "a", "@timestamp": "yesterday" })).toBe("@timestamp");
    expect(offendingField(JobDocumentSchema, { job: { id: "x", started_at: 5 } })).toBe("job.started_at");
    expect(offendingField(JobDocumentSchema, { nope: 1 })).toBe("nope");
    expect(offendingField(JobDocumentSchema, [])).toBe("");
  });
});
