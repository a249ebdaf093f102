// Longer than our ~300-line guide on purpose: the allowlisted translation is one class with one method
// per CEL construct, so that every construct a filter may use is visible in one place.
import { parse } from "@bufbuild/cel";
import type { Expr } from "@bufbuild/cel-spec/cel/expr/syntax_pb.js";
import type { Document } from "mongodb";
import { rfc3339Micros } from "../../platform/time/rfc3339.js";
import { isTimeZone } from "../../platform/time/timezone.js";
import { type Cond, compare, computedComparison, containsText, escapeRegex, known, never } from "./cel-conditions.js";
import { type FieldRef, resolveField } from "./cel-fields.js";

export { decodeKey, encodeKey } from "./cel-fields.js";
export { FilterError } from "./cel-error.js";
import { FilterError } from "./cel-error.js";

type Value =
  | { kind: "string"; v: string }
  | { kind: "number"; v: number; int?: boolean }
  | { kind: "bool"; v: boolean }
  | { kind: "time"; v: Date; us: number | null }
  | { kind: "list"; v: Value[] };

/** Record-type constants real clients use. */
const constants: Readonly<Record<string, string>> = {
  PIPELINE_RUN: "tekton.dev/v1.PipelineRun",
  TASK_RUN: "tekton.dev/v1.TaskRun",
};

/** Nesting levels (parentheses and `!`) a filter may use. */
export const MAX_FILTER_DEPTH = 32;

/**
 * Compiles the CEL filters real Tekton Results clients send into a MongoDB query document. The text
 * is parsed by a real CEL parser (`@bufbuild/cel`: CEL's grammar, precedence and escapes), and its
 * syntax tree is translated through an allowlist: fields (fixed ones, `data.metadata|spec|status.
 * <identifier...>`, `data.metadata.labels|annotations["key"]`), comparisons, `in`, `&&`, `||`, `!`,
 * `contains`/`startsWith`/`endsWith` and `timestamp()`. User text only ever becomes a value or an
 * escaped regex. Conditions follow SQL's three-valued logic, as upstream's cel2sql does.
 */
export function compileFilter(src: string): Document {
  if (src.trim() === "") return {};
  if (src.length > 4096) throw new FilterError(4096, "filter longer than 4096 characters");
  assertShallow(src);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(src);
  } catch (e) {
    // "<input>:1:3: found = but expecting …": the column is 1-based; the long list of what the
    // grammar expected is left out.
    const m = /<input>:(\d+):(\d+): (.*)/s.exec((e as Error).message);
    const reason = m
      ? m[3]!
          .split("\n")[0]!
          .replace(/^found (.*?) but expecting .*$/, (_x, found: string) =>
            found === "end of input" ? "unexpected end of input" : `unexpected '${found}'`,
          )
      : "not a CEL expression";
    throw new FilterError(m ? Math.max(0, Number(m[2]) - 1) : 0, reason);
  }
  const positions = parsed.sourceInfo?.positions ?? {};
  const filter = new Translator((id) => Number(positions[String(id)] ?? 0)).cond(parsed.expr, 0).t;
  // MongoDB refuses documents nested more than 100 levels, and the filter sits inside the command.
  if (nestingDepth(filter, MAX_QUERY_DEPTH) > MAX_QUERY_DEPTH)
    throw new FilterError(0, `expression too complex (its MongoDB form would nest over ${MAX_QUERY_DEPTH} levels)`);
  return filter;
}

/** Levels the compiled filter may nest: MongoDB's 100, less the command and pipeline around it. */
const MAX_QUERY_DEPTH = 90;

/** How deep a document nests, counting no further than `limit + 1`. */
function nestingDepth(v: unknown, limit: number): number {
  if (v === null || typeof v !== "object" || v instanceof Date || limit < 0) return 0;
  let deepest = 0;
  for (const x of Object.values(v)) {
    deepest = Math.max(deepest, nestingDepth(x, limit - 1));
    if (deepest > limit) break;
  }
  return deepest + 1;
}

/**
 * Refuses nesting deeper than MAX_FILTER_DEPTH before parsing: every `(`, `[` and run of unary `!`
 * or `-` counts, so no input can drive the parser (or the translation) into deep recursion.
 */
function assertShallow(src: string): void {
  let depth = 0;
  let unary = 0;
  let inString: string | undefined;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (inString) {
      if (c === "\\") i++;
      else if (c === inString) inString = undefined;
      continue;
    }
    if (c === '"' || c === "'") inString = c;
    else if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    if (c === "!" && src[i + 1] !== "=") unary++;
    else if (!/\s/.test(c)) unary = c === "(" ? unary : 0;
    if (depth + unary > MAX_FILTER_DEPTH)
      throw new FilterError(
        i,
        `expression nested too deeply (at most ${MAX_FILTER_DEPTH} levels of parentheses and '!')`,
      );
  }
}

/**
 * One side of a comparison: a field, a constant, or a computed value (arithmetic, string
 * concatenation, a timestamp's calendar part) held as a MongoDB aggregation expression whose user
 * values are all `$literal`s.
 */
type Operand =
  | { kind: "field"; ref: FieldRef }
  | { kind: "value"; value: Value }
  | { kind: "computed"; expr: unknown; type: "number" | "string" | "dyn" };

/** CEL's timestamp accessors that cel2sql translates (as Postgres' EXTRACT), to MongoDB date operators. */
const dateParts: Readonly<Record<string, { op: string; minus: number }>> = {
  getDate: { op: "$dayOfMonth", minus: 0 },
  getDayOfMonth: { op: "$dayOfMonth", minus: 1 },
  getDayOfWeek: { op: "$dayOfWeek", minus: 1 },
  getDayOfYear: { op: "$dayOfYear", minus: 1 },
  getFullYear: { op: "$year", minus: 0 },
};

const arithmetic: Readonly<Record<string, string>> = { "_+_": "+", "_-_": "-", "_*_": "*", "_/_": "/", "_%_": "%" };

const comparisons: Readonly<Record<string, string>> = {
  "_==_": "==",
  "_!=_": "!=",
  "_<_": "<",
  "_<=_": "<=",
  "_>_": ">",
  "_>=_": ">=",
};

/** The allowlisted translation of a CEL syntax tree. */
class Translator {
  constructor(private readonly pos: (id: bigint) => number) {}

  // Over 60 lines on purpose, as are `operand` and `arithmetic`: one case per CEL construct allowed,
  // so the allowlist reads as one list; anything not named here is refused.
  cond(e: Expr, depth: number): Cond {
    if (depth > MAX_FILTER_DEPTH * 2) throw new FilterError(this.pos(e.id), "expression nested too deeply");
    const k = e.exprKind;
    if (k.case === "constExpr" && k.value.constantKind.case === "boolValue")
      return k.value.constantKind.value ? { t: {}, f: never } : { t: never, f: {} };
    if (k.case !== "callExpr") throw new FilterError(this.pos(e.id), "expected a condition");
    const call = k.value;
    const args = call.args;
    switch (call.function) {
      case "_&&_":
      case "_||_": {
        const parts = args.map((a) => this.cond(a, depth + 1));
        return call.function === "_&&_"
          ? { t: { $and: parts.map((c) => c.t) }, f: { $or: parts.map((c) => c.f) } }
          : { t: { $or: parts.map((c) => c.t) }, f: { $and: parts.map((c) => c.f) } };
      }
      case "!_": {
        // SQL's NOT: true where the operand is false, false where it is true, neither where unknown.
        const c = this.cond(args[0]!, depth + 1);
        return { t: c.f, f: c.t };
      }
      case "@in": {
        const left = this.operand(args[0]!);
        const right = this.operand(args[1]!);
        if (left.kind === "value" || right.kind !== "value" || right.value.kind !== "list")
          throw new FilterError(this.pos(e.id), "'in' needs a field on the left and a list on the right");
        if (left.kind === "computed") {
          const x = left.expr;
          const list = { $literal: right.value.v.map((v) => plain(v, this.pos(e.id))) };
          return {
            t: { $expr: { $and: [known(x), { $in: [x, list] }] } },
            f: { $expr: { $and: [known(x), { $not: [{ $in: [x, list] }] }] } },
          };
        }
        const values = right.value.v.map((v) => coerce(v, left.ref));
        return { t: { [left.ref.path]: { $in: values } }, f: { [left.ref.path]: { $nin: [...values, null] } } };
      }
      case "contains":
      case "startsWith":
      case "endsWith": {
        if (!call.target || args.length !== 1)
          throw new FilterError(this.pos(e.id), `${call.function} is a method taking one string`);
        const target = this.operand(call.target);
        const arg = this.operand(args[0]!);
        if (target.kind !== "field") throw new FilterError(this.pos(e.id), `${call.function} applies to a field`);
        if (arg.kind !== "value" || arg.value.kind !== "string")
          throw new FilterError(this.pos(args[0]!.id), `${call.function} takes a string`);
        const path = target.ref.path;
        if (call.function === "contains" && target.ref.kind !== "time") return containsText(path, arg.value.v);
        const esc = escapeRegex(arg.value.v);
        const re = call.function === "contains" ? esc : call.function === "startsWith" ? `^${esc}` : `${esc}$`;
        return {
          t: { [path]: { $regex: re } },
          f: { $and: [{ [path]: { $type: "string" } }, { [path]: { $not: { $regex: re } } }] },
        };
      }
    }
    const op = comparisons[call.function];
    if (!op)
      throw new FilterError(this.pos(e.id), `${call.function.replace(/_/g, " ").trim()} is not supported in filters`);
    const left = this.operand(args[0]!);
    const right = this.operand(args[1]!);
    let field: FieldRef;
    let value: Value;
    let operator = op;
    if (left.kind === "field" && right.kind === "value") {
      field = left.ref;
      value = right.value;
    } else if (left.kind === "value" && right.kind === "field") {
      field = right.ref;
      value = left.value;
      operator = ({ "<": ">", "<=": ">=", ">": "<", ">=": "<=" } as Record<string, string>)[operator] ?? operator;
    } else return computedComparison(op, this.agg(left, right), this.agg(right, left));
    const v = coerce(value, field);
    const ms = compare(field.path, operator, v);
    const us = field.micros ? microsOf(value) : null;
    if (us === null) return ms;
    // Microsecond instants where the record has them (Postgres' precision); older records hold only
    // the millisecond date.
    const exact = compare(field.micros!, operator, us);
    const older = { [field.micros!]: null };
    return { t: { $or: [exact.t, { $and: [older, ms.t] }] }, f: { $or: [exact.f, { $and: [older, ms.f] }] } };
  }

  operand(e: Expr): Operand {
    const k = e.exprKind;
    const pos = this.pos(e.id);
    switch (k.case) {
      case "constExpr": {
        const c = k.value.constantKind;
        if (c.case === "stringValue") return { kind: "value", value: { kind: "string", v: c.value } };
        if (c.case === "int64Value" || c.case === "uint64Value")
          return { kind: "value", value: { kind: "number", v: Number(c.value), int: true } };
        if (c.case === "doubleValue") return { kind: "value", value: { kind: "number", v: c.value } };
        if (c.case === "boolValue") return { kind: "value", value: { kind: "bool", v: c.value } };
        throw new FilterError(pos, "unsupported constant");
      }
      case "listExpr":
        return {
          kind: "value",
          value: {
            kind: "list",
            v: k.value.elements.map((el) => {
              const o = this.operand(el);
              if (o.kind !== "value") throw new FilterError(this.pos(el.id), "list items must be values");
              return o.value;
            }),
          },
        };
      case "callExpr": {
        const call = k.value;
        if (call.function === "timestamp" && !call.target && call.args.length === 1) {
          const a = call.args[0]!.exprKind;
          if (a.case !== "constExpr" || a.value.constantKind.case !== "stringValue")
            throw new FilterError(pos, "timestamp() takes an RFC 3339 string");
          const text = a.value.constantKind.value;
          const d = new Date(text);
          if (
            !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text) ||
            Number.isNaN(d.getTime())
          )
            throw new FilterError(pos, `timestamp("${text}") is not RFC 3339`);
          return { kind: "value", value: { kind: "time", v: d, us: rfc3339Micros(text) } };
        }
        if (call.function === "-_" && call.args.length === 1) {
          const inner = this.operand(call.args[0]!);
          if (inner.kind === "value" && inner.value.kind === "number")
            return { kind: "value", value: { kind: "number", v: -inner.value.v, int: inner.value.int } };
          return { kind: "computed", expr: { $multiply: [-1, this.numeric(inner, pos)] }, type: "number" };
        }
        if (arithmetic[call.function] && call.args.length === 2)
          return this.arithmetic(call.function, this.operand(call.args[0]!), this.operand(call.args[1]!), pos);
        const part = Object.hasOwn(dateParts, call.function) ? dateParts[call.function] : undefined;
        if (part && call.target) return this.datePart(call.function, part, this.operand(call.target), call.args, pos);
        if (call.function === "_[_]") return { kind: "field", ref: this.field(e) };
        if (call.function === "matches")
          throw new FilterError(
            pos,
            "matches is not supported in filters: a caller's regular expression could backtrack without bound on the database; use contains, startsWith or endsWith",
          );
        throw new FilterError(pos, `${call.function} is not supported in filters`);
      }
      case "identExpr":
        if (k.value.name in constants) return { kind: "value", value: { kind: "string", v: constants[k.value.name]! } };
        return { kind: "field", ref: this.field(e) };
      case "selectExpr":
        return { kind: "field", ref: this.field(e) };
      default:
        throw new FilterError(pos, "unsupported expression");
    }
  }

  /** An operand as an aggregation expression; a constant compared with a time field becomes a date. */
  agg(o: Operand, other: Operand): unknown {
    if (o.kind === "field") return `$${o.ref.path}`;
    if (o.kind === "computed") return o.expr;
    if (other.kind === "field") return { $literal: coerce(o.value, other.ref) };
    return { $literal: plain(o.value, 0) };
  }

  /**
   * `+ - * / %` as cel2sql passes them to SQL. Operands that are not numbers (or, for `+`, not both
   * strings) make the result unknown (NULL) rather than failing the whole query; so does a division
   * by a zero field. Two constants fold with CEL's rules (integer division truncates).
   */
  private arithmetic(fn: string, a: Operand, b: Operand, pos: number): Operand {
    const op = arithmetic[fn]!;
    if (a.kind === "value" && b.kind === "value" && a.value.kind === "number" && b.value.kind === "number") {
      const [x, y, int] = [a.value.v, b.value.v, a.value.int === true && b.value.int === true];
      if ((op === "/" || op === "%") && y === 0)
        throw new FilterError(pos, op === "/" ? "division by zero" : "modulus by zero");
      const v =
        op === "+"
          ? x + y
          : op === "-"
            ? x - y
            : op === "*"
              ? x * y
              : op === "/"
                ? int
                  ? Math.trunc(x / y)
                  : x / y
                : x % y;
      return { kind: "value", value: { kind: "number", v, int } };
    }
    const isText = (o: Operand) =>
      (o.kind === "value" && o.value.kind === "string") || (o.kind === "computed" && o.type === "string");
    const isNumber = (o: Operand) =>
      (o.kind === "value" && o.value.kind === "number") || (o.kind === "computed" && o.type === "number");
    if (op === "+" && (isText(a) || isText(b))) {
      if (isNumber(a) || isNumber(b)) throw new FilterError(pos, "'+' joins two strings or adds two numbers");
      return { kind: "computed", expr: { $concat: [this.text(a, pos), this.text(b, pos)] }, type: "string" };
    }
    if (op === "+" && !isNumber(a) && !isNumber(b)) {
      // Two fields: CEL's dynamic `+` decides by the values' types.
      const [x, y] = [this.agg(a, b), this.agg(b, a)];
      const both = (t: unknown) => ({
        $and: [
          t === "number" ? { $isNumber: x } : { $eq: [{ $type: x }, t] },
          t === "number" ? { $isNumber: y } : { $eq: [{ $type: y }, t] },
        ],
      });
      return {
        kind: "computed",
        expr: {
          $switch: {
            branches: [
              { case: both("number"), then: { $add: [x, y] } },
              { case: both("string"), then: { $concat: [x, y] } },
            ],
            default: null,
          },
        },
        type: "dyn",
      };
    }
    const [x, y] = [this.numeric(a, pos), this.numeric(b, pos)];
    if (op === "/" || op === "%") {
      if (b.kind === "value" && b.value.kind === "number" && b.value.v === 0)
        throw new FilterError(pos, op === "/" ? "division by zero" : "modulus by zero");
      return {
        kind: "computed",
        expr: { $cond: [{ $eq: [y, 0] }, null, { [op === "/" ? "$divide" : "$mod"]: [x, y] }] },
        type: "number",
      };
    }
    return {
      kind: "computed",
      expr: { [op === "+" ? "$add" : op === "-" ? "$subtract" : "$multiply"]: [x, y] },
      type: "number",
    };
  }

  /** `ts.getDate()` and friends, optionally in a time zone (`ts.getDate("Europe/Paris")`); UTC by default. */
  private datePart(
    fn: string,
    part: { op: string; minus: number },
    target: Operand,
    args: readonly Expr[],
    pos: number,
  ): Operand {
    if (target.kind !== "field" || target.ref.kind !== "time")
      throw new FilterError(pos, `${fn}() applies to a timestamp field`);
    if (args.length > 1) throw new FilterError(pos, `${fn}() takes at most a time zone`);
    let timezone: string | undefined;
    if (args.length === 1) {
      const a = args[0]!.exprKind;
      if (a.case !== "constExpr" || a.value.constantKind.case !== "stringValue")
        throw new FilterError(pos, `${fn}() takes a time zone string`);
      timezone = a.value.constantKind.value;
      if (!isTimeZone(timezone)) throw new FilterError(pos, `unknown time zone: ${timezone.slice(0, 64)}`);
    }
    const date = `$${target.ref.path}`;
    const value = { [part.op]: timezone ? { date, timezone: { $literal: timezone } } : { date } };
    return { kind: "computed", expr: part.minus ? { $subtract: [value, part.minus] } : value, type: "number" };
  }

  /** An operand used as a number: a non-number field value becomes NULL. */
  private numeric(o: Operand, pos: number): unknown {
    if (o.kind === "value") {
      if (o.value.kind !== "number") throw new FilterError(pos, "arithmetic takes numbers");
      return { $literal: o.value.v };
    }
    if (o.kind === "field" && o.ref.kind === "time")
      throw new FilterError(pos, "timestamps can only be compared, or read with getDate(), getFullYear() and the like");
    if (o.kind === "computed" && o.type === "number") return o.expr;
    const x = o.kind === "field" ? `$${o.ref.path}` : o.expr;
    return { $cond: [{ $isNumber: x }, x, null] };
  }

  /** An operand used as a string: a non-string field value becomes NULL. */
  private text(o: Operand, pos: number): unknown {
    if (o.kind === "value") return { $literal: plain(o.value, pos) };
    if (o.kind === "field" && o.ref.kind === "time")
      throw new FilterError(pos, "timestamps can only be compared, or read with getDate(), getFullYear() and the like");
    if (o.kind === "computed" && o.type === "string") return o.expr;
    const x = o.kind === "field" ? `$${o.ref.path}` : o.expr;
    return { $cond: [{ $eq: [{ $type: x }, "string"] }, x, null] };
  }

  /** A field path (`a.b["k"][0].c`) resolved through the allowlist. */
  private field(e: Expr): FieldRef {
    const segs: string[] = [];
    let text = "";
    const walk = (x: Expr): void => {
      const k = x.exprKind;
      if (k.case === "identExpr") {
        segs.push(k.value.name);
        text = k.value.name;
      } else if (k.case === "selectExpr" && k.value.operand) {
        walk(k.value.operand);
        segs.push(k.value.field);
        text += `.${k.value.field}`;
      } else if (k.case === "callExpr" && k.value.function === "_[_]" && k.value.args.length === 2) {
        walk(k.value.args[0]!);
        const idx = k.value.args[1]!.exprKind;
        if (
          idx.case === "constExpr" &&
          (idx.value.constantKind.case === "int64Value" || idx.value.constantKind.case === "uint64Value")
        ) {
          segs.push(String(idx.value.constantKind.value));
          text += `[${idx.value.constantKind.value}]`;
        } else if (idx.case === "constExpr" && idx.value.constantKind.case === "stringValue") {
          segs.push(`"${idx.value.constantKind.value}"`);
          text += `["${idx.value.constantKind.value}"]`;
        } else throw new FilterError(this.pos(x.id), "index must be a number or a string");
      } else throw new FilterError(this.pos(x.id), "not a field");
    };
    walk(e);
    return resolveField(text, segs, this.pos(e.id));
  }
}

/** A timestamp constant in microseconds since the epoch, when its text is RFC 3339. */
function microsOf(v: Value): number | null {
  return v.kind === "time" ? v.us : v.kind === "string" ? rfc3339Micros(v.v) : null;
}

function coerce(v: Value, field: FieldRef): unknown {
  if (v.kind === "list") throw new FilterError(field.pos, "a list is only allowed after 'in'");
  if (field.kind === "time") {
    if (v.kind === "time") return v.v;
    if (v.kind === "string" && !Number.isNaN(new Date(v.v).getTime())) return new Date(v.v);
    throw new FilterError(field.pos, 'a time field compares with timestamp("...")');
  }
  if (v.kind === "time") return v.v.toISOString().replace(".000Z", "Z");
  return v.v;
}

/** A constant as stored data (time as a date); lists only after `in`. */
function plain(v: Value, pos: number): unknown {
  if (v.kind === "list") throw new FilterError(pos, "a list is only allowed after 'in'");
  return v.v;
}
