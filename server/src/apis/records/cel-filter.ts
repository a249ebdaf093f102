import type { Document } from "mongodb";

/** A filter that cannot be compiled; `pos` is the 0-based character offset. */
export class FilterError extends Error {
  constructor(
    readonly pos: number,
    reason: string,
  ) {
    super(`invalid filter at position ${pos}: ${reason}`);
  }
}

type Tok = { kind: "ident" | "str" | "num" | "op" | "punct" | "eof"; value: string; pos: number };

const ops = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!"];

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const start = i++;
      let v = "";
      while (i < src.length && src[i] !== c) {
        if (src[i] === "\\" && i + 1 < src.length) {
          const [text, used] = unescape(src, i);
          v += text;
          i += used;
        } else v += src[i++];
      }
      if (i >= src.length) throw new FilterError(start, "unterminated string");
      i++;
      out.push({ kind: "str", value: v, pos: start });
      continue;
    }
    if (/[0-9]/.test(c) || (c === "-" && /[0-9]/.test(src[i + 1] ?? ""))) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i))!;
      out.push({ kind: "num", value: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ kind: "ident", value: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    const op = ops.find((o) => src.startsWith(o, i));
    if (op) {
      out.push({ kind: "op", value: op, pos: i });
      i += op.length;
      continue;
    }
    if ("().,[]".includes(c) || c === ".") {
      out.push({ kind: "punct", value: c, pos: i });
      i++;
      continue;
    }
    throw new FilterError(i, `unexpected character '${c}'`);
  }
  out.push({ kind: "eof", value: "", pos: src.length });
  return out;
}

const simpleEscapes: Readonly<Record<string, string>> = { n: "\n", r: "\r", t: "\t", b: "\b", f: "\f", v: "\v", a: "\x07", "\\": "\\", '"': '"', "'": "'", "`": "`", "?": "?" };

/** One CEL escape sequence at `src[i]` (a backslash): its text and the characters it spans. */
function unescape(src: string, i: number): [string, number] {
  const n = src[i + 1]!;
  if (n in simpleEscapes) return [simpleEscapes[n]!, 2];
  const hex = (len: number) => {
    const h = src.slice(i + 2, i + 2 + len);
    if (!new RegExp(`^[0-9A-Fa-f]{${len}}$`).test(h)) throw new FilterError(i, `invalid escape \\${n}`);
    const cp = parseInt(h, 16);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new FilterError(i, "invalid code point in escape");
    return String.fromCodePoint(cp);
  };
  if (n === "x" || n === "X") return [hex(2), 4];
  if (n === "u") return [hex(4), 6];
  if (n === "U") return [hex(8), 10];
  const oct = src.slice(i + 1, i + 4);
  if (/^[0-3][0-7]{2}$/.test(oct)) return [String.fromCodePoint(parseInt(oct, 8)), 4];
  throw new FilterError(i, `invalid escape \\${n}`);
}

/** A field the filter may name, and the stored path it maps to. */
interface FieldRef {
  readonly path: string;
  readonly kind: "string" | "time";
  readonly pos: number;
}

type Value = { kind: "string"; v: string } | { kind: "number"; v: number } | { kind: "bool"; v: boolean } | { kind: "time"; v: Date } | { kind: "list"; v: Value[] };

/** Known record fields (CEL name → stored path). */
const fixedFields: Readonly<Record<string, { path: string; kind: "string" | "time" }>> = {
  data_type: { path: "type", kind: "string" },
  name: { path: "name", kind: "string" },
  parent: { path: "namespace", kind: "string" },
  uid: { path: "uid", kind: "string" },
  create_time: { path: "createTime", kind: "time" },
  update_time: { path: "updateTime", kind: "time" },
  "data.metadata.namespace": { path: "namespace", kind: "string" },
  "data.metadata.name": { path: "data.metadata.name", kind: "string" },
  "data.metadata.creationTimestamp": { path: "createTime", kind: "time" },
  "data.status.startTime": { path: "startTime", kind: "time" },
  "data.status.completionTime": { path: "completionTime", kind: "time" },
  "data.status.conditions[0].reason": { path: "reason", kind: "string" },
  'data.metadata.labels["tekton.dev/pipeline"]': { path: "pipeline", kind: "string" },
  'data.metadata.annotations["pipelinesascode.tekton.dev/repository"]': { path: "repository", kind: "string" },
};

/** Record-type constants real clients use. */
const constants: Readonly<Record<string, string>> = {
  PIPELINE_RUN: "tekton.dev/v1.PipelineRun",
  TASK_RUN: "tekton.dev/v1.TaskRun",
};

const identSegment = /^[A-Za-z_][A-Za-z0-9_]*$/;
const keySegment = /^[A-Za-z0-9_./-]{1,253}$/;

/** Nesting levels (parentheses and `!`) a filter may use. */
export const MAX_FILTER_DEPTH = 32;

/**
 * Compiles the CEL subset real Tekton Results clients send into a MongoDB query document. Field names
 * pass an allowlist (fixed fields, plus `data.metadata|spec|status.<identifier...>` and
 * `data.metadata.labels|annotations["key"]`); user text only ever becomes a value or an escaped regex.
 */
export function compileFilter(src: string): Document {
  if (src.trim() === "") return {};
  if (src.length > 4096) throw new FilterError(4096, "filter longer than 4096 characters");
  const toks = tokenize(src);
  let p = 0;
  let depth = 0;
  const peek = () => toks[p]!;
  const next = () => toks[p++]!;
  const expect = (value: string) => {
    const t = next();
    if (t.value !== value) throw new FilterError(t.pos, `expected '${value}' but found '${t.value || "end of input"}'`);
  };

  function orExpr(): Cond {
    const parts = [andExpr()];
    while (peek().value === "||") {
      next();
      parts.push(andExpr());
    }
    return parts.length === 1 ? parts[0]! : { t: { $or: parts.map((c) => c.t) }, f: { $and: parts.map((c) => c.f) } };
  }
  function andExpr(): Cond {
    const parts = [unary()];
    while (peek().value === "&&") {
      next();
      parts.push(unary());
    }
    return parts.length === 1 ? parts[0]! : { t: { $and: parts.map((c) => c.t) }, f: { $or: parts.map((c) => c.f) } };
  }
  // Every level of nesting counts, parentheses and unary operators alike, so no input can recurse
  // deeper than MAX_FILTER_DEPTH frames.
  const nest = <T>(pos: number, inner: () => T): T => {
    if (++depth > MAX_FILTER_DEPTH) throw new FilterError(pos, `expression nested too deeply (at most ${MAX_FILTER_DEPTH} levels of parentheses and '!')`);
    const e = inner();
    depth--;
    return e;
  };
  function unary(): Cond {
    const t = peek();
    if (t.value === "!") {
      next();
      // SQL's NOT: true where the operand is false, false where it is true, neither where unknown.
      return nest(t.pos, () => {
        const c = unary();
        return { t: c.f, f: c.t };
      });
    }
    return comparison();
  }
  function comparison(): Cond {
    const t = peek();
    if (t.value === "(") {
      next();
      const e = nest(t.pos, orExpr);
      expect(")");
      return e;
    }
    const left = operand();
    const op = peek();
    if (left.kind === "field" && op.value === ".") {
      // field.contains("x") / startsWith / endsWith
      next();
      const m = next();
      if (m.kind !== "ident" || !["contains", "startsWith", "endsWith"].includes(m.value)) throw new FilterError(m.pos, `unsupported method '${m.value}'`);
      expect("(");
      const arg = next();
      if (arg.kind !== "str") throw new FilterError(arg.pos, `${m.value} takes a string`);
      expect(")");
      const path = left.ref.path;
      const esc = escapeRegex(arg.value);
      const re = m.value === "contains" ? esc : m.value === "startsWith" ? `^${esc}` : `${esc}$`;
      if (m.value === "contains" && left.ref.kind !== "time") return containsText(path, arg.value);
      return { t: { [path]: { $regex: re } }, f: { $and: [{ [path]: { $type: "string" } }, { [path]: { $not: { $regex: re } } }] } };
    }
    if (op.kind === "ident" && op.value === "in") {
      next();
      const right = operand();
      if (left.kind !== "field" || right.kind !== "value" || right.value.kind !== "list") throw new FilterError(op.pos, "'in' needs a field on the left and a list on the right");
      const values = right.value.v.map((v) => coerce(v, left.ref));
      return { t: { [left.ref.path]: { $in: values } }, f: { [left.ref.path]: { $nin: [...values, null] } } };
    }
    if (op.kind !== "op" || !["==", "!=", "<", "<=", ">", ">="].includes(op.value)) {
      if (left.kind === "value" && left.value.kind === "bool") return left.value.v ? { t: {}, f: never } : { t: never, f: {} };
      throw new FilterError(op.pos, `expected a comparison operator but found '${op.value || "end of input"}'`);
    }
    next();
    const right = operand();
    let field: FieldRef;
    let value: Value;
    let operator = op.value;
    if (left.kind === "field" && right.kind === "value") {
      field = left.ref;
      value = right.value;
    } else if (left.kind === "value" && right.kind === "field") {
      field = right.ref;
      value = left.value;
      operator = ({ "<": ">", "<=": ">=", ">": "<", ">=": "<=" } as Record<string, string>)[operator] ?? operator;
    } else throw new FilterError(op.pos, "a comparison needs one field and one value");
    const v = coerce(value, field);
    // Comparisons with a missing (NULL) field are neither true nor false, as in SQL.
    const path = field.path;
    switch (operator) {
      case "==":
        return { t: { [path]: { $eq: v } }, f: { [path]: { $nin: [v, null] } } };
      case "!=":
        return { t: { [path]: { $nin: [v, null] } }, f: { [path]: { $eq: v } } };
      case "<":
        return { t: { [path]: { $lt: v } }, f: { [path]: { $gte: v } } };
      case "<=":
        return { t: { [path]: { $lte: v } }, f: { [path]: { $gt: v } } };
      case ">":
        return { t: { [path]: { $gt: v } }, f: { [path]: { $lte: v } } };
      default:
        return { t: { [path]: { $gte: v } }, f: { [path]: { $lt: v } } };
    }
  }

  function operand(): { kind: "field"; ref: FieldRef } | { kind: "value"; value: Value } {
    const t = next();
    if (t.kind === "str") return { kind: "value", value: { kind: "string", v: t.value } };
    if (t.kind === "num") return { kind: "value", value: { kind: "number", v: Number(t.value) } };
    if (t.value === "[") {
      const items: Value[] = [];
      while (peek().value !== "]") {
        const o = operand();
        if (o.kind !== "value") throw new FilterError(t.pos, "list items must be values");
        items.push(o.value);
        if (peek().value === ",") next();
        else break;
      }
      expect("]");
      return { kind: "value", value: { kind: "list", v: items } };
    }
    if (t.kind !== "ident") throw new FilterError(t.pos, `unexpected '${t.value || "end of input"}'`);
    if (t.value === "true" || t.value === "false") return { kind: "value", value: { kind: "bool", v: t.value === "true" } };
    if (t.value in constants) return { kind: "value", value: { kind: "string", v: constants[t.value]! } };
    if (t.value === "timestamp") {
      expect("(");
      const s = next();
      if (s.kind !== "str") throw new FilterError(s.pos, "timestamp() takes an RFC 3339 string");
      expect(")");
      const d = new Date(s.value);
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s.value) || Number.isNaN(d.getTime())) {
        throw new FilterError(s.pos, `timestamp("${s.value}") is not RFC 3339`);
      }
      return { kind: "value", value: { kind: "time", v: d } };
    }
    // A field path: ident(.ident | [n] | ["key"])*
    let text = t.value;
    const segs = [t.value];
    while (peek().value === "." || peek().value === "[") {
      if (peek().value === ".") {
        const save = p;
        next();
        const id = peek();
        if (id.kind === "ident" && toks[p + 1]?.value === "(") {
          p = save; // a method call: leave the dot to comparison()
          break;
        }
        if (id.kind !== "ident") throw new FilterError(id.pos, "expected a field name after '.'");
        next();
        text += `.${id.value}`;
        segs.push(id.value);
      } else {
        next();
        const k = next();
        if (k.kind === "num" && /^\d+$/.test(k.value)) text += `[${k.value}]`;
        else if (k.kind === "str") text += `["${k.value}"]`;
        else throw new FilterError(k.pos, "index must be a number or a string");
        segs.push(k.kind === "str" ? `"${k.value}"` : k.value);
        expect("]");
      }
    }
    return { kind: "field", ref: resolveField(text, segs, t.pos) };
  }

  const result = orExpr();
  const end = peek();
  if (end.kind !== "eof") throw new FilterError(end.pos, `unexpected '${end.value}'`);
  return result.t;
}

/**
 * A compiled condition in SQL's three-valued logic (upstream translates CEL to SQL): the documents
 * for which it is true and those for which it is false; a document in neither (a NULL field) matches
 * neither `x == "a"` nor `x != "a"` nor `!(x == "a")`.
 */
interface Cond {
  readonly t: Document;
  readonly f: Document;
}

/** Matches no document. */
const never: Document = { _id: { $exists: false } };

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * `contains` as upstream's cel2sql runs it: a substring test of the field's text, which for a map or
 * object is its JSON. Here: a string containing the text, or an object one of whose keys (stored
 * encoded, so the text is encoded alike) or string values contains it. False for other values, and
 * neither true nor false where the field is missing.
 */
function containsText(path: string, text: string): Cond {
  const value = { $regex: escapeRegex(text) };
  const key = escapeRegex(encodeKey(text));
  const v = `$${path}`;
  const inObject = {
    $anyElementTrue: [
      {
        $map: {
          input: { $objectToArray: v },
          as: "kv",
          in: { $or: [{ $regexMatch: { input: "$$kv.k", regex: key } }, { $and: [{ $eq: [{ $type: "$$kv.v" }, "string"] }, { $regexMatch: { input: "$$kv.v", regex: value.$regex } }] }] },
        },
      },
    ],
  };
  const isObject = { $eq: [{ $type: v }, "object"] };
  const t = { $or: [{ [path]: value }, { $expr: { $and: [isObject, inObject] } }] };
  const f = { $and: [{ [path]: { $exists: true, $ne: null } }, { [path]: { $not: value } }, { $expr: { $not: [{ $and: [isObject, inObject] }] } }] };
  return { t, f };
}

function resolveField(text: string, segs: readonly string[], pos: number): FieldRef {
  const fixed = fixedFields[text];
  if (fixed) return { ...fixed, pos };
  // data.metadata.labels["k"] / annotations["k"]
  if (segs.length === 4 && segs[0] === "data" && segs[1] === "metadata" && (segs[2] === "labels" || segs[2] === "annotations") && segs[3]!.startsWith('"')) {
    const key = segs[3]!.slice(1, -1);
    if (!keySegment.test(key)) throw new FilterError(pos, `label or annotation key not allowed: ${key}`);
    // Keys hold dots and slashes; stored under an escaped map so they never form a path.
    return { path: `${segs[2]}.${encodeKey(key)}`, kind: "string", pos };
  }
  if (segs.length >= 3 && segs[0] === "data" && ["metadata", "spec", "status"].includes(segs[1]!) && segs.every((s) => identSegment.test(s))) {
    return { path: segs.join("."), kind: "string", pos };
  }
  throw new FilterError(pos, `field ${text} is not supported in filters`);
}

/** Label and annotation keys as stored: `.` and `$` can't appear in a field name safely. */
export function encodeKey(key: string): string {
  return key.replace(/%/g, "%25").replace(/\./g, "%2E").replace(/\$/g, "%24");
}

/** The inverse of {@link encodeKey}. */
export function decodeKey(key: string): string {
  return key.includes("%") ? key.replace(/%2E/g, ".").replace(/%24/g, "$").replace(/%25/g, "%") : key;
}

function coerce(v: Value, field: FieldRef): unknown {
  if (v.kind === "list") throw new FilterError(field.pos, "a list is only allowed after 'in'");
  if (field.kind === "time") {
    if (v.kind === "time") return v.v;
    if (v.kind === "string" && !Number.isNaN(new Date(v.v).getTime())) return new Date(v.v);
    throw new FilterError(field.pos, "a time field compares with timestamp(\"...\")");
  }
  if (v.kind === "time") return v.v.toISOString().replace(".000Z", "Z");
  return v.v;
}
