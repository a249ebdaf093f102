import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it). */
export type JsonSchema = { readonly [k: string]: unknown };

/** Which names a message's JSON uses: proto (`snake_case`, REST answers) or JSON (`lowerCamel`, requests). */
export type FieldNames = "proto" | "json";

/**
 * JSON Schemas of protobuf messages in their JSON mapping, collected as `$defs`-style components:
 * `ref(message)` returns a `$ref` and registers the message (and every message it uses) once.
 * int64 values are integers (REST answers print them as exact numbers; requests may also send
 * strings), well-known types map to their JSON forms.
 */
export class SchemaRegistry {
  readonly schemas: Record<string, JsonSchema> = {};

  constructor(private readonly names: FieldNames) {}

  ref(message: DescMessage): JsonSchema {
    const wkt = wellKnown(message.typeName);
    if (wkt) return wkt;
    const name = `${message.typeName}${this.names === "json" ? ".Input" : ""}`;
    if (!(name in this.schemas)) {
      this.schemas[name] = {}; // placeholder first: messages may refer to themselves
      const properties: Record<string, JsonSchema> = {};
      for (const f of message.fields) properties[this.names === "proto" ? f.name : f.jsonName] = this.field(f);
      this.schemas[name] = { type: "object", properties, additionalProperties: this.names === "json" };
    }
    return { $ref: `#/components/schemas/${name}` };
  }

  private field(f: DescField): JsonSchema {
    switch (f.fieldKind) {
      case "list":
        return {
          type: "array",
          items:
            f.listKind === "message"
              ? this.ref(f.message)
              : f.listKind === "enum"
                ? enumSchema(f.enum.values.map((v) => v.name))
                : scalar(f.scalar),
        };
      case "map":
        return {
          type: "object",
          additionalProperties:
            f.mapKind === "message"
              ? this.ref(f.message)
              : f.mapKind === "enum"
                ? enumSchema(f.enum.values.map((v) => v.name))
                : scalar(f.scalar),
        };
      case "message":
        return nullable(this.ref(f.message));
      case "enum":
        return enumSchema(f.enum.values.map((v) => v.name));
      case "scalar":
        return f.proto.proto3Optional ? nullable(scalar(f.scalar)) : scalar(f.scalar);
    }
  }
}

function nullable(s: JsonSchema): JsonSchema {
  return { anyOf: [s, { type: "null" }] };
}

function enumSchema(values: string[]): JsonSchema {
  return { anyOf: [{ type: "string", enum: values }, { type: "integer" }] };
}

function scalar(t: ScalarType): JsonSchema {
  switch (t) {
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BYTES:
      return { type: "string", contentEncoding: "base64" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return { anyOf: [{ type: "number" }, { type: "string", enum: ["NaN", "Infinity", "-Infinity"] }] };
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return { anyOf: [{ type: "integer" }, { type: "string", pattern: "^-?\\d+$" }] };
    default:
      return { type: "integer" };
  }
}

function wellKnown(typeName: string): JsonSchema | undefined {
  switch (typeName) {
    case "google.protobuf.Timestamp":
      return { type: "string", format: "date-time" };
    case "google.protobuf.Duration":
      return { type: "string", pattern: "^-?\\d+(\\.\\d+)?s$" };
    case "google.protobuf.Struct":
      return { type: "object" };
    case "google.protobuf.Value":
      return {};
    case "google.protobuf.ListValue":
      return { type: "array" };
    case "google.protobuf.Empty":
      return { type: "object" };
    default:
      return undefined;
  }
}
