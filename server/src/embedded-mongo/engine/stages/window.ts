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
