import { getOption, hasOption, type DescMethod, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { http } from "../gen/google/api/annotations_pb.js";

/** An HTTP request built from a method's `google.api.http` rule and its request as JSON. */
export interface RestRequest {
  readonly method: string;
  readonly path: string;
  readonly body: string | undefined;
}

/**
 * Maps a request (proto JSON, as `tally query --data` takes it) onto the method's REST route, as the
 * server's transcoder reads it back: path variables from their fields, then for a body rule `*` the
 * rest as the JSON body, otherwise the rest as query parameters (arrays as repeated keys).
 * Returns undefined for a method with no REST route.
 */
export function restRequest(method: DescMethod, data: JsonObject): RestRequest | undefined {
  if (!hasOption(method, http)) return undefined;
  const rule = getOption(method, http);
  const p = rule.pattern;
  if (p.case !== "get" && p.case !== "post" && p.case !== "put" && p.case !== "delete" && p.case !== "patch")
    return undefined;
  const rest: JsonObject = { ...data };
  const path = p.value.replace(/\{([^}=]+)(=[^}]*)?\}/g, (_m, field: string) => {
    const f = method.input.fields.find((x) => x.name === field || x.jsonName === field);
    const value = (f && (rest[f.jsonName] ?? rest[f.name])) ?? "";
    if (f) {
      delete rest[f.jsonName];
      delete rest[f.name];
    }
    // Variables such as {parent=*/results/*} keep their slashes.
    return String(value).split("/").map(encodeURIComponent).join("/");
  });
  if (rule.body === "*") return { method: p.case.toUpperCase(), path, body: JSON.stringify(rest) };
  if (rule.body !== "") return { method: p.case.toUpperCase(), path, body: JSON.stringify(rest[rule.body] ?? {}) };
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(rest))
    for (const x of Array.isArray(v) ? v : [v])
      if (x !== null && typeof x !== "object") query.append(k, String(x as JsonValue));
  const qs = query.toString();
  return { method: p.case.toUpperCase(), path: qs ? `${path}?${qs}` : path, body: undefined };
}
