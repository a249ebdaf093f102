import { compareValues } from "../bson-order.js";
import { Unsupported, compileExpr, fieldPath, type Doc } from "../compile-expr.js";
import { tick } from "../deadline.js";
import { locationError } from "../errors.js";
import { valueKey } from "../keys.js";
import { type Stage, NO_VARS, setPath } from "./stage.js";
import { compileSort } from "./sort.js";

/**
 * `$setWindowFields` with the rank functions (`$documentNumber`, `$rank`, `$denseRank`) over
 * `sortBy`, optionally per `partitionBy`: what needs no window. Anything else goes to mingo.
 */
export function compileWindowRanks(spec: Doc): Stage {
  const sortBy = spec.sortBy as Doc | undefined;
  if (!sortBy || typeof sortBy !== "object")
    throw locationError(5339902, "$setWindowFields with a rank function requires a sortBy");
  const outputs = Object.entries((spec.output ?? {}) as Doc).map(([k, v]) => {
    const op = v !== null && typeof v === "object" ? Object.keys(v as Doc)[0] : undefined;
    if ((op !== "$documentNumber" && op !== "$rank" && op !== "$denseRank") || Object.keys(v as Doc).length !== 1)
      throw new Unsupported("$setWindowFields output");
    return [k.split("."), op] as const;
  });
  const partition = spec.partitionBy === undefined ? undefined : compileExpr(spec.partitionBy);
  const sortKeys = Object.entries(sortBy).map(([k]) => k.split("."));
  // The partition key rides on a copy of each document under a `$`-prefixed name (operator syntax,
  // not a field name documents use).
  const sort = compileSort(partition ? { $partition: 1, ...sortBy } : sortBy);
  const needsTies = outputs.some(([, op]) => op !== "$documentNumber");
  return function* (docs) {
    const keyed = partition ? docs.map((d) => ({ ...d, $partition: partition(d, NO_VARS) ?? null })) : docs;
    const sorted = yield* sort(keyed);
    const out: Doc[] = new Array<Doc>(sorted.length);
    let part: string | undefined;
    let n = 0;
    let rank = 0;
    let dense = 0;
    let prev: unknown[] | undefined;
    for (let i = 0; i < sorted.length; i++) {
      if (tick()) yield;
      let d = sorted[i]!;
      const p = partition ? valueKey(d.$partition) : "";
      if (p !== part) {
        part = p;
        n = 0;
        rank = 0;
        dense = 0;
        prev = undefined;
      }
      n++;
      if (needsTies) {
        const key = sortKeys.map((path) => fieldPath(d, path));
        const tie = prev !== undefined && key.every((v, j) => compareValues(v, prev![j]) === 0);
        if (!tie) {
          rank = n;
          dense++;
        }
        prev = key;
      }
      // One copy per document (the input may be stored documents): partitioned ones were copied above.
      if (partition) delete d.$partition;
      else d = { ...d };
      for (const [path, op] of outputs) {
        const v = op === "$documentNumber" ? n : op === "$rank" ? rank : dense;
        if (path.length === 1) d[path[0]!] = v;
        else d = setPath(d, path, v);
      }
      out[i] = d;
    }
    return out;
  };
}

/**
 * `$setWindowFields` numbering documents (`{field: {$documentNumber: {}}}`, no partition) followed by a
 * `$match` keeping given numbers of that field (`{field: n}` or `{field: {$in: [n…]}}`): the documents
 * at those positions of the sort, numbered, without numbering (and copying) every other one. The
 * wanted positions, ascending; undefined when the two stages are not that shape.
 */
export function numberedPicks(
  window: Doc,
  match: Doc,
): { sortBy: Doc; field: string; positions: number[] } | undefined {
  const output = Object.entries((window.output ?? {}) as Doc);
  const sortBy = window.sortBy;
  if (
    window.partitionBy !== undefined ||
    output.length !== 1 ||
    Object.keys(window).some((k) => k !== "sortBy" && k !== "output")
  )
    return undefined;
  const [field, op] = output[0]!;
  if (field.includes(".") || JSON.stringify(op) !== '{"$documentNumber":{}}') return undefined;
  if (sortBy === null || typeof sortBy !== "object" || Array.isArray(sortBy)) return undefined;
  const keys = Object.keys(match);
  if (keys.length !== 1 || keys[0] !== field) return undefined;
  const cond = match[field];
  const wanted =
    typeof cond === "number"
      ? [cond]
      : cond !== null && typeof cond === "object" && Object.keys(cond).length === 1 && Array.isArray((cond as Doc).$in)
        ? ((cond as Doc).$in as unknown[])
        : undefined;
  if (!wanted?.every((n) => typeof n === "number" && Number.isInteger(n))) return undefined;
  const positions = [...new Set(wanted as number[])].filter((n) => n >= 1).sort((a, b) => a - b);
  return { sortBy: sortBy as Doc, field, positions };
}

/** The stage {@link numberedPicks} describes: one sort, then only the picked documents, numbered. */
export function compileNumberedPicks(pick: { sortBy: Doc; field: string; positions: number[] }): Stage {
  const sort = compileSort(pick.sortBy);
  return function* (docs) {
    const sorted = yield* sort(docs);
    return pick.positions.filter((n) => n <= sorted.length).map((n) => ({ ...sorted[n - 1]!, [pick.field]: n }));
  };
}
