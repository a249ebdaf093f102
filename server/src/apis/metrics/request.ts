import { Code, ConnectError } from "@connectrpc/connect";
import type { GetPlotDataRequest } from "@tally/sdk/gen/tally/metrics/v1/metrics_pb.js";
import { invalidArgument } from "../../platform/errors.js";
import { metricsType, type ColumnDef, type MetricsTypeDef } from "./catalogue.js";
import { parseTimeParam } from "./time-param.js";

/** A page request resolved against a list length; throws NotFound "Invalid page." past the end. */
export function pageOf(
  page: number,
  pageSize: number,
  total: number,
): { start: number; end: number; page: number; size: number; hasNext: boolean } {
  const size = pageSize >= 1 && pageSize <= 1000 ? pageSize : 100;
  const p = page === 0 ? 1 : page;
  const last = Math.max(1, Math.ceil(total / size));
  if (p < 1 || p > last) throw new ConnectError("Invalid page.", Code.NotFound);
  return { start: (p - 1) * size, end: Math.min(total, p * size), page: p, size, hasNext: p < last };
}

/** The metrics type a path names, or Scale's 404 "Not found.". */
export function requireType(name: string): MetricsTypeDef {
  const def = metricsType(name);
  if (!def) throw new ConnectError("Not found.", Code.NotFound);
  return def;
}

/** Named columns plus every column of each named group, in catalogue order; none named: all. */
export function selectColumns(def: MetricsTypeDef, columns: readonly string[], groups: readonly string[]): ColumnDef[] {
  for (const c of columns)
    if (!def.columns.some((x) => x.name === c)) throw invalidArgument(`Invalid column name: ${c}`, "column");
  for (const g of groups)
    if (!def.groups.some((x) => x.name === g)) throw invalidArgument(`Invalid group name: ${g}`, "group");
  if (columns.length === 0 && groups.length === 0) return [...def.columns];
  return def.columns.filter((c) => columns.includes(c.name) || groups.includes(c.group));
}

/** A plot-data request, validated as Scale validates it. */
export interface PlotQuery {
  readonly def: MetricsTypeDef;
  /** Undefined: no lower bound. */
  readonly started: Date | undefined;
  readonly ended: Date;
  readonly columns: ColumnDef[];
}

/** Checks `started`/`ended` (Scale's texts) and the columns and groups named. */
export function parsePlotQuery(req: GetPlotDataRequest, now: Date): PlotQuery {
  const def = requireType(req.name);
  const started = req.started === "" ? undefined : parseTimeParam(req.started, now);
  if (req.started !== "" && !started)
    throw invalidArgument("Invalid ISO timestamp format for parameter: started", "started");
  const ended = req.ended === "" ? now : parseTimeParam(req.ended, now);
  if (!ended) throw invalidArgument("Invalid ISO timestamp format for parameter: ended", "ended");
  if (started && started.getTime() === ended.getTime())
    throw invalidArgument("Start and end values must be different", "ended");
  if (started && started > ended) throw invalidArgument("Start time must come before end time", "started");
  return { def, started, ended, columns: selectColumns(def, req.column, req.group) };
}
