/**
 * google.api.http path templates: parsing and matching.
 *
 *   Template = "/" Segments [ ":" Verb ] ;  Segment = "*" | "**" | LITERAL | "{" FieldPath [ "=" Segments ] "}"
 *
 * Matching works on percent-decoded segments, tolerates one trailing slash, and backtracks so `**`
 * may be followed by more segments.
 */
export type Segment = { kind: "literal"; value: string } | { kind: "any" } | { kind: "rest" };

/** A `{field=pattern}` variable of a path template. */
export interface TemplateVariable {
  /** Dotted field path, e.g. `parent` or `book.name`. */
  readonly fieldPath: string;
  /** Index of the variable's first segment and number of template segments it spans. */
  readonly start: number;
  readonly length: number;
}

/** A parsed `google.api.http` path template. */
export interface PathTemplate {
  readonly source: string;
  readonly segments: readonly Segment[];
  readonly variables: readonly TemplateVariable[];
  readonly verb: string | undefined;
  /** Number of literal segments: more literals is a more specific match. */
  readonly literalCount: number;
}

const literalPattern = /^[A-Za-z0-9._~!$&'()+,;=@%-]+$/;

/** Parses a template; throws with the position on malformed input (a bug in a proto, caught at start-up). */
export function parsePathTemplate(source: string): PathTemplate {
  if (!source.startsWith("/")) throw new Error(`path template must start with "/": ${source}`);
  let body = source.slice(1);
  let verb: string | undefined;
  const lastSlash = body.lastIndexOf("/");
  const lastBrace = body.lastIndexOf("}");
  const colon = body.lastIndexOf(":");
  if (colon > lastSlash && colon > lastBrace) {
    verb = body.slice(colon + 1);
    body = body.slice(0, colon);
  }
  const segments: Segment[] = [];
  const variables: TemplateVariable[] = [];
  let i = 0;
  const parts = splitTopLevel(body);
  for (const part of parts) {
    if (part.startsWith("{")) {
      if (!part.endsWith("}")) throw new Error(`unterminated variable in ${source}`);
      const inner = part.slice(1, -1);
      const eq = inner.indexOf("=");
      const fieldPath = eq < 0 ? inner : inner.slice(0, eq);
      if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$/.test(fieldPath))
        throw new Error(`bad field path ${fieldPath} in ${source}`);
      const sub = eq < 0 ? ["*"] : inner.slice(eq + 1).split("/");
      const start = i;
      for (const s of sub) {
        segments.push(parseSimple(s, source));
        i++;
      }
      variables.push({ fieldPath, start, length: sub.length });
    } else {
      segments.push(parseSimple(part, source));
      i++;
    }
  }
  const literalCount = segments.filter((s) => s.kind === "literal").length;
  return { source, segments, variables, verb, literalCount };
}

function splitTopLevel(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of body) {
    if (ch === "{") depth++;
    if (ch === "}") depth--;
    if (ch === "/" && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function parseSimple(s: string, source: string): Segment {
  if (s === "*") return { kind: "any" };
  if (s === "**") return { kind: "rest" };
  if (!literalPattern.test(s)) throw new Error(`bad literal segment "${s}" in ${source}`);
  return { kind: "literal", value: s };
}

/**
 * Matches a request path (raw, not yet decoded) against a template. Returns the bound variables
 * (field path → decoded value) or undefined.
 */
export function matchPathTemplate(t: PathTemplate, rawPath: string): Map<string, string> | undefined {
  let path = rawPath;
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  if (!path.startsWith("/")) return undefined;
  let body = path.slice(1);
  if (t.verb !== undefined) {
    if (!body.endsWith(`:${t.verb}`)) return undefined;
    body = body.slice(0, -(t.verb.length + 1));
  }
  let raw: string[];
  try {
    raw = body.split("/").map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
  const ends = new Array<number>(t.segments.length);
  if (!matchFrom(t.segments, 0, raw, 0, ends)) return undefined;
  const bound = new Map<string, string>();
  for (const v of t.variables) {
    const from = v.start === 0 ? 0 : ends[v.start - 1]!;
    const to = ends[v.start + v.length - 1]!;
    bound.set(v.fieldPath, raw.slice(from, to).join("/"));
  }
  return bound;
}

/** Backtracking matcher; `ends[i]` records where template segment i stopped consuming. */
function matchFrom(segs: readonly Segment[], si: number, raw: readonly string[], ri: number, ends: number[]): boolean {
  if (si === segs.length) return ri === raw.length;
  const seg = segs[si]!;
  if (seg.kind === "rest") {
    for (let take = raw.length - ri; take >= 0; take--) {
      ends[si] = ri + take;
      if (matchFrom(segs, si + 1, raw, ri + take, ends)) return true;
    }
    return false;
  }
  if (ri >= raw.length) return false;
  const s = raw[ri]!;
  if (seg.kind === "literal" ? s !== seg.value : s === "") return false;
  ends[si] = ri + 1;
  return matchFrom(segs, si + 1, raw, ri + 1, ends);
}
