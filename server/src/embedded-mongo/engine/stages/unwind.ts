import { Unsupported, fieldPath, type Doc } from "../compile-expr.js";
import { tick } from "../deadline.js";
import { locationError } from "../errors.js";
import { type Stage, drain, setPath } from "./stage.js";

/** `$unwind` with MongoDB's semantics, for the mingo fallback. */
export function unwindDocuments(docs: Doc[], spec: unknown): Doc[] {
  return drain(compileUnwind(spec)(docs));
}

/** `$unwind`, with `includeArrayIndex` and `preserveNullAndEmptyArrays`. */
export function compileUnwind(spec: unknown): Stage {
  const opts = (typeof spec === "string" ? { path: spec } : spec) as Doc;
  const path = opts.path;
  if (typeof path !== "string" || !path.startsWith("$"))
    throw locationError(28812, "no path specified to $unwind stage");
  if (Object.keys(opts).some((k) => k !== "path" && k !== "includeArrayIndex" && k !== "preserveNullAndEmptyArrays"))
    throw new Unsupported("$unwind options");
  const index = typeof opts.includeArrayIndex === "string" ? opts.includeArrayIndex.split(".") : undefined;
  const preserve = opts.preserveNullAndEmptyArrays === true;
  const parts = path.slice(1).split(".");
  return function* (docs) {
    const out: Doc[] = [];
    for (const d of docs) {
      if (tick()) yield;
      const v = fieldPath(d, parts);
      if (Array.isArray(v) && v.length > 0) {
        for (let i = 0; i < v.length; i++) {
          // Each output document is a unit of work: a long array is not one tick.
          if (i > 0 && tick()) yield;
          const u = setPath(d, parts, v[i]);
          out.push(index ? setPath(u, index, i) : u);
        }
      } else if (v !== undefined && v !== null && !Array.isArray(v)) out.push(index ? setPath(d, index, null) : d);
      else if (preserve) {
        const u = Array.isArray(v) ? setPath(d, parts, undefined) : d;
        out.push(index ? setPath(u, index, null) : u);
      }
    }
    return out;
  };
}
