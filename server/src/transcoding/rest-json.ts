import { isMessage, toJson, type DescField, type DescMessage, type Message, type Registry } from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";

/**
 * JSON values as REST bodies carry them: like JSON.parse output, plus bigint for 64-bit integers so
 * they are written as exact JSON numbers (protobuf JSON writes them as strings).
 */
export type RestJson = null | boolean | number | bigint | string | RestJson[] | { [k: string]: RestJson | undefined };

/** Serializes RestJson; bigints are written as their exact decimal digits. */
export function stringifyRestJson(value: RestJson): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? { __bigint: v.toString() } : v)).replace(
    /\{"__bigint":"(-?\d+)"\}/g,
    "$1",
  );
}

/** How messages become REST JSON (names, int64 as numbers). */
export interface RestJsonOptions {
  /** Use proto field names (snake_case) instead of json_name. */
  readonly useProtoFieldName?: boolean;
  /** Emit fields holding their zero value (proto3 implicit presence). */
  readonly emitDefaults?: boolean;
  readonly registry?: Registry;
}

/**
 * Converts a message to RestJson by its schema: 64-bit integers become bigint (exact numbers), well-known
 * types use their protobuf JSON form, enums their names.
 */
export function messageToRestJson(schema: DescMessage, message: Message, opts: RestJsonOptions = {}): RestJson {
  if (schema.file.name.startsWith("google/protobuf/"))
    return toJson(schema, message, { registry: opts.registry }) as RestJson;
  return reflectToJson(reflect(schema, message), opts);
}

function reflectToJson(r: ReflectMessage, opts: RestJsonOptions): { [k: string]: RestJson } {
  const out: { [k: string]: RestJson } = {};
  for (const field of r.fields) {
    if (
      !r.isSet(field) &&
      !(opts.emitDefaults && field.fieldKind !== "message" && !field.oneof && field.presence !== 1)
    )
      continue;
    const name = opts.useProtoFieldName ? field.name : field.jsonName;
    out[name] = fieldToJson(field, r.get(field), opts);
  }
  return out;
}

function fieldToJson(field: DescField, value: unknown, opts: RestJsonOptions): RestJson {
  switch (field.fieldKind) {
    case "scalar":
      return scalarToJson(value);
    case "enum":
      return field.enum.values.find((v) => v.number === value)?.name ?? (value as number);
    case "message":
      return messageValueToJson(field.message, value, opts);
    case "list": {
      const out: RestJson[] = [];
      for (const item of value as Iterable<unknown>) {
        out.push(
          field.listKind === "message"
            ? messageValueToJson(field.message, item, opts)
            : field.listKind === "enum"
              ? (field.enum.values.find((v) => v.number === item)?.name ?? (item as number))
              : scalarToJson(item),
        );
      }
      return out;
    }
    case "map": {
      const out: { [k: string]: RestJson } = {};
      for (const [k, v] of value as Iterable<[unknown, unknown]>) {
        out[String(k)] =
          field.mapKind === "message"
            ? messageValueToJson(field.message, v, opts)
            : field.mapKind === "enum"
              ? (field.enum.values.find((e) => e.number === v)?.name ?? (v as number))
              : scalarToJson(v);
      }
      return out;
    }
  }
}

function messageValueToJson(schema: DescMessage, value: unknown, opts: RestJsonOptions): RestJson {
  // Reflected message values come wrapped; unwrap to the plain message.
  const msg = (value as { message?: Message }).message ?? (value as Message);
  if (!isMessage(msg)) return null;
  return messageToRestJson(schema, msg, opts);
}

function scalarToJson(v: unknown): RestJson {
  if (typeof v === "bigint") return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (typeof v === "number" && !Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
  return v as RestJson;
}
