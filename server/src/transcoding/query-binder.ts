import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";

/** Thrown for a query or path value that cannot bind; becomes InvalidArgument. */
export class BindError extends Error {}

/** Query parameters bound into a request message's JSON. */
export interface BindResult {
  /** Query keys that name no field, in order of appearance. */
  readonly unknownKeys: string[];
}

/**
 * Binds path variables and query parameters into a protobuf-JSON object for `schema`.
 *
 * Keys may use the proto name or the json name, and dotted paths into nested messages. Repeated keys
 * append to repeated fields; for singular fields the first value wins (as Go's `url.Values.Get`).
 * Values are coerced by the field's type so protobuf-es `fromJson` accepts them: "true"/"false" to bool,
 * enum names as they are, numbers as strings (fromJson parses and range-checks them). Unknown keys are
 * reported, not bound, so each API decides (ignore, or reject as Mozilla's API does).
 */
export function bindParams(
  schema: DescMessage,
  target: JsonObject,
  pathParams: ReadonlyMap<string, string>,
  query: URLSearchParams,
  skipFields: ReadonlySet<string> = new Set(),
): BindResult {
  for (const [path, value] of pathParams) setPath(schema, target, path.split("."), value, true, true);
  const unknownKeys: string[] = [];
  for (const [key, value] of query) {
    const parts = key.split(".");
    if (skipFields.has(parts[0]!) || !setPath(schema, target, parts, value, false, false)) unknownKeys.push(key);
  }
  return { unknownKeys };
}

function findField(schema: DescMessage, name: string): DescField | undefined {
  return schema.fields.find((f) => f.name === name || f.jsonName === name);
}

function setPath(
  schema: DescMessage,
  target: JsonObject,
  parts: readonly string[],
  raw: string,
  overwrite: boolean,
  strict: boolean,
): boolean {
  const field = findField(schema, parts[0]!);
  if (!field) {
    if (strict) throw new BindError(`no field "${parts[0]}" in ${schema.typeName}`);
    return false;
  }
  const key = field.jsonName;
  if (parts.length > 1) {
    if (field.fieldKind !== "message" || isWellKnown(field.message)) return false;
    const child = (target[key] ??= {}) as JsonObject;
    return setPath(field.message, child, parts.slice(1), raw, overwrite, strict);
  }
  switch (field.fieldKind) {
    case "scalar":
      if (overwrite || !(key in target)) target[key] = coerceScalar(field.scalar, raw, field.name);
      return true;
    case "enum":
      if (overwrite || !(key in target)) target[key] = /^-?\d+$/.test(raw) ? Number(raw) : raw;
      return true;
    case "message":
      if (!isWellKnown(field.message)) return false;
      if (overwrite || !(key in target)) target[key] = coerceWellKnown(field.message, raw);
      return true;
    case "list": {
      const list = (target[key] ??= []) as JsonValue[];
      if (field.listKind === "scalar") list.push(coerceScalar(field.scalar, raw, field.name));
      else if (field.listKind === "enum") list.push(/^-?\d+$/.test(raw) ? Number(raw) : raw);
      else if (isWellKnown(field.message)) list.push(coerceWellKnown(field.message, raw));
      else return false;
      return true;
    }
    case "map":
      return false;
  }
}

function isWellKnown(m: DescMessage): boolean {
  return m.file.name.startsWith("google/protobuf/");
}

function coerceWellKnown(m: DescMessage, raw: string): JsonValue {
  switch (m.typeName) {
    case "google.protobuf.BoolValue":
      return coerceScalar(ScalarType.BOOL, raw, m.name);
    case "google.protobuf.Value":
      return raw;
    default:
      return raw; // Timestamp, Duration, FieldMask, wrappers of numbers and strings: JSON strings.
  }
}

function coerceScalar(t: ScalarType, raw: string, name: string): JsonValue {
  switch (t) {
    case ScalarType.BOOL:
      if (raw === "true" || raw === "1" || raw === "") return true;
      if (raw === "false" || raw === "0") return false;
      throw new BindError(`invalid value for bool field ${name}: "${raw}"`);
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return raw;
    default:
      // Numbers stay strings: fromJson parses them, and rejects non-numbers and out-of-range values.
      return raw;
  }
}
