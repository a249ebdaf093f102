import { create } from "@bufbuild/protobuf";
import {
  ChoiceSchema,
  MetricsColumnSchema,
  MetricsTypeSchema,
  type Choice,
} from "@tally/sdk/gen/tally/metrics/v1/metrics_pb.js";
import { type ColumnDef, type MetricsTypeDef, metricsTypes } from "./catalogue.js";

/** A stored choice (job type, error type or strike process). */
export interface ChoiceDoc {
  type: string;
  choiceId: number;
  fields: Record<string, string | boolean | null>;
}

/** Every choice field of the catalogue's types (`id` is the choice's own key). */
const choiceKeys = [...new Set(metricsTypes.flatMap((t) => t.choiceFields))].filter((k) => k !== "id");
const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** A choice as stored (its fields, typed by its metrics type). */
export function choiceToDoc(type: string, c: Choice): Omit<ChoiceDoc, "choiceId" | "type"> & { type: string } {
  const fields: Record<string, string | boolean | null> = {};
  for (const k of choiceKeys) {
    const v = (c as unknown as Record<string, unknown>)[camel(k)];
    if (typeof v === "string" || typeof v === "boolean") fields[k] = v;
  }
  return { type, fields };
}

/** A stored choice as the API's message. */
export function choiceFromDoc(d: ChoiceDoc): Choice {
  const init: Record<string, unknown> = { id: d.choiceId };
  for (const [k, v] of Object.entries(d.fields)) if (v !== null) init[camel(k)] = v;
  return create(ChoiceSchema, init);
}

/** A catalogue column as the API's message. */
export function columnMessage(c: ColumnDef) {
  return create(MetricsColumnSchema, { ...c });
}

/** A catalogue type as the API's message (without choices). */
export function typeMessage(t: MetricsTypeDef) {
  return create(MetricsTypeSchema, {
    name: t.name,
    title: t.title,
    description: t.description,
    filters: t.filters.map((f) => ({ ...f })),
    groups: t.groups.map((g) => ({ ...g })),
    columns: t.columns.map(columnMessage),
  });
}
