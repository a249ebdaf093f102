import { ScalarType, fromJson, type DescField, type DescMessage, type JsonValue } from "@bufbuild/protobuf";

/** Why a JSON value does not decode as a message: the field's JSON path and what it expects. */
export interface DecodeFailure {
  /** JSON path of the offending field (e.g. `job.started_at`); "" when the value as a whole is wrong. */
  field: string;
  /** What was expected, in words. Never contains the offending value, so answers stay small and echo nothing. */
  reason: string;
}

const MAX_KEY = 100;

/**
 * The first field of `value` that fails to decode as `schema`, and what that field expects.
 * Used for per-item rejections in batch ingest and for whole-request decode errors.
 */
export function describeDecodeFailure(schema: DescMessage, value: JsonValue, prefix = ""): DecodeFailure {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { field: prefix, reason: `expected a JSON object (${schema.name})` };
  }
  for (const [key, v] of Object.entries(value)) {
    try {
      fromJson(schema, { [key]: v }, { ignoreUnknownFields: false });
    } catch {
      const path = prefix ? `${prefix}.${shown(key)}` : shown(key);
      const field = schema.fields.find((f) => f.jsonName === key || f.name === key);
      if (!field) return { field: path, reason: "unknown field" };
      if (field.fieldKind === "message" && isOwn(field.message) && v !== null)
        return describeDecodeFailure(field.message, v, path);
      const inner =
        field.fieldKind === "map" && field.mapKind === "message"
          ? field.message
          : field.fieldKind === "list" && field.listKind === "message"
            ? field.message
            : undefined;
      if (
        inner &&
        isOwn(inner) &&
        v !== null &&
        typeof v === "object" &&
        Array.isArray(v) === (field.fieldKind === "list")
      ) {
        for (const [k, item] of Object.entries(v)) {
          try {
            fromJson(inner, item, { ignoreUnknownFields: false });
          } catch {
            return describeDecodeFailure(
              inner,
              item,
              field.fieldKind === "list" ? `${path}[${k}]` : `${path}.${shown(k)}`,
            );
          }
        }
      }
      return { field: path, reason: `expected ${expectation(field)}` };
    }
  }
  for (const oneof of schema.oneofs) {
    const set = oneof.fields.filter((f) => f.jsonName in value || f.name in value);
    if (set.length > 1)
      return { field: prefix, reason: `at most one of ${set.map((f) => f.jsonName).join(", ")} may be set` };
  }
  return { field: prefix, reason: `does not decode as ${schema.name}` };
}

/** A caller's key as it appears in a path: at most MAX_KEY characters. */
function shown(key: string): string {
  return key.length > MAX_KEY ? `${key.slice(0, MAX_KEY)}…` : key;
}

function isOwn(m: DescMessage): boolean {
  return !m.typeName.startsWith("google.protobuf.");
}

function expectation(field: DescField): string {
  switch (field.fieldKind) {
    case "list":
      return `an array of ${single(field.listKind === "scalar" ? scalarWords(field.scalar) : field.listKind === "enum" ? enumWords(field.enum.values.map((x) => x.name)) : messageWords(field.message))}`;
    case "map":
      return `an object whose values are ${field.mapKind === "scalar" ? scalarWords(field.scalar) : field.mapKind === "enum" ? enumWords(field.enum.values.map((x) => x.name)) : messageWords(field.message)}`;
    case "enum":
      return enumWords(field.enum.values.map((x) => x.name));
    case "message":
      return messageWords(field.message);
    case "scalar":
      return scalarWords(field.scalar);
  }
}

function single(words: string): string {
  return words.replace(/^(a|an) /, "");
}

function enumWords(names: string[]): string {
  const shown = names.filter((n) => !n.endsWith("_UNSPECIFIED"));
  return `one of ${shown.slice(0, 12).join(", ")}${shown.length > 12 ? ", …" : ""}`;
}

function messageWords(m: DescMessage): string {
  switch (m.typeName) {
    case "google.protobuf.Timestamp":
      return "an RFC 3339 timestamp string";
    case "google.protobuf.Duration":
      return 'a duration string such as "1.5s"';
    case "google.protobuf.Struct":
      return "a JSON object";
    case "google.protobuf.Value":
      return "a JSON value";
    case "google.protobuf.ListValue":
      return "a JSON array";
    default:
      return m.typeName.startsWith("google.protobuf.") ? `a ${m.name} value` : `a JSON object (${m.name})`;
  }
}

function scalarWords(t: ScalarType): string {
  switch (t) {
    case ScalarType.STRING:
      return "a string";
    case ScalarType.BOOL:
      return "true or false";
    case ScalarType.BYTES:
      return "a base64 string";
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return "a number";
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return "a 32-bit integer";
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return "a non-negative 32-bit integer";
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return "a non-negative 64-bit integer";
    default:
      return "a 64-bit integer";
  }
}
