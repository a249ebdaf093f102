import { fromJson, type DescMessage, type JsonValue } from "@bufbuild/protobuf";

/**
 * The JSON path of the first field of `value` that fails to decode as `schema` (e.g. `job.started_at`),
 * or "" when the value as a whole is wrong. Used to name the offending field in per-item rejections.
 */
export function offendingField(schema: DescMessage, value: JsonValue, prefix = ""): string {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return prefix;
  for (const [key, v] of Object.entries(value)) {
    try {
      fromJson(schema, { [key]: v }, { ignoreUnknownFields: false });
    } catch {
      const field = schema.fields.find((f) => f.jsonName === key || f.name === key);
      const path = prefix ? `${prefix}.${key}` : key;
      if (field?.fieldKind === "message" && !field.message.typeName.startsWith("google.protobuf.")) return offendingField(field.message, v, path);
      return path;
    }
  }
  return prefix;
}
