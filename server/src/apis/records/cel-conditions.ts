import type { Document } from "mongodb";
import { encodeKey } from "./cel-fields.js";

// MongoDB conditions in SQL's three-valued logic, as upstream's cel2sql gives them.

/**
 * A compiled condition in SQL's three-valued logic (upstream translates CEL to SQL): the documents
 * for which it is true and those for which it is false; a document in neither (a NULL field) matches
 * neither `x == "a"` nor `x != "a"` nor `!(x == "a")`.
 */
export interface Cond {
  readonly t: Document;
  readonly f: Document;
}

/** A field compared with a value; a missing (NULL) field is neither true nor false, as in SQL. */
export function compare(path: string, operator: string, v: unknown): Cond {
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

/** Matches no document. */
export const never: Document = { _id: { $exists: false } };

/** A text as a regex matching it literally. */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * `contains` as upstream's cel2sql runs it: a substring test of the field's text, which for a map or
 * object is its JSON. Here: a string containing the text, or an object one of whose keys (stored
 * encoded, so the text is encoded alike) or string values contains it. False for other values, and
 * neither true nor false where the field is missing.
 */
export function containsText(path: string, text: string): Cond {
  const value = { $regex: escapeRegex(text) };
  const key = escapeRegex(encodeKey(text));
  const v = `$${path}`;
  const inObject = {
    $anyElementTrue: [
      {
        $map: {
          input: { $objectToArray: v },
          as: "kv",
          in: {
            $or: [
              { $regexMatch: { input: "$$kv.k", regex: key } },
              {
                $and: [
                  { $eq: [{ $type: "$$kv.v" }, "string"] },
                  { $regexMatch: { input: "$$kv.v", regex: value.$regex } },
                ],
              },
            ],
          },
        },
      },
    ],
  };
  const isObject = { $eq: [{ $type: v }, "object"] };
  const t = { $or: [{ [path]: value }, { $expr: { $and: [isObject, inObject] } }] };
  const f = {
    $and: [
      { [path]: { $exists: true, $ne: null } },
      { [path]: { $not: value } },
      { $expr: { $not: [{ $and: [isObject, inObject] }] } },
    ],
  };
  return { t, f };
}

/** True where an aggregation expression is neither NULL nor missing (both sort below every value). */
export function known(x: unknown): Document {
  return { $gt: [x, null] };
}

const exprOperators: Readonly<Record<string, string>> = {
  "==": "$eq",
  "!=": "$ne",
  "<": "$lt",
  "<=": "$lte",
  ">": "$gt",
  ">=": "$gte",
};

const negated: Readonly<Record<string, string>> = {
  "==": "!=",
  "!=": "==",
  "<": ">=",
  "<=": ">",
  ">": "<=",
  ">=": "<",
};

/**
 * A comparison with a computed side (or two fields), as `$expr`: true or false only where both sides
 * are known, as SQL compares.
 */
export function computedComparison(op: string, a: unknown, b: unknown): Cond {
  const both = [known(a), known(b)];
  return {
    t: { $expr: { $and: [...both, { [exprOperators[op]!]: [a, b] }] } },
    f: { $expr: { $and: [...both, { [exprOperators[negated[op]!]!]: [a, b] }] } },
  };
}
