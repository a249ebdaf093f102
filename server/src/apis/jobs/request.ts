import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { AggregateJobsRequest } from "@tally/sdk/gen/tally/jobs/v1/jobs_pb.js";
import type { Document } from "mongodb";
import { esError } from "./es-error.js";
import { compileQuery } from "./query.js";

/** Everything filterable, in one `$match` that the (tenantId, timestamp) index serves. */
export function leadingMatch(req: AggregateJobsRequest): Document {
  const match: Document = {};
  const start = req.startTime ? timestampDate(req.startTime) : undefined;
  const end = req.endTime ? timestampDate(req.endTime) : undefined;
  if (start && end && start > end) throw esError("[start_time] must be before or equal to [end_time]");
  if (start || end) match.timestamp = { ...(start ? { $gte: start } : {}), ...(end ? { $lte: end } : {}) };
  if (req.application) match.application = req.application;
  if (req.appType.length) match.app_type = { $in: [...req.appType] };
  if (req.domain.length) match.domain = { $in: [...req.domain] };
  if (req.includesEu === false) match.eu = { $ne: true };
  if (req.query) match.$expr = compileQuery(req.query);
  return match;
}
