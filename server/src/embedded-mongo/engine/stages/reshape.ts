import { Unsupported, compileExpr, fieldPath, setOwnField, type Doc, type Expr } from "../compile-expr.js";
import { tick } from "../deadline.js";
import { type Stage, NO_VARS, setPath } from "./stage.js";

/** `$set`/`$addFields`: one shallow copy per document, nested paths copying only their way. */
export function compileSet(spec: Doc): Stage {
  const fields = Object.entries(spec).map(([k, v]) => [k.split("."), compileExpr(v)] as const);
  return function* (docs) {
    const result: Doc[] = new Array<Doc>(docs.length);
    for (let i = 0; i < docs.length; i++) {
      if (tick()) yield;
      const d = docs[i]!;
      // One shallow copy per document (the input may be a stored document); nested paths copy
      // only the objects along their way.
      let out: Doc = { ...d };
      for (const [parts, f] of fields) {
        const v = f(d, NO_VARS);
        if (parts.length === 1) {
          if (v === undefined) delete out[parts[0]!];
          else setOwnField(out, parts[0]!, v);
        } else out = setPath(out, parts, v);
      }
      result[i] = out;
    }
    return result;
  };
}

/** `$project`: inclusion (with computed fields) or exclusion, `_id` kept unless excluded. */
export function compileProject(spec: Doc): Stage {
  const entries = Object.entries(spec);
  const isFlag = (v: unknown) => v === 0 || v === 1 || v === true || v === false;
  const excluded = entries.filter(([k, v]) => k !== "_id" && (v === 0 || v === false));
  // `{_id: 0}` alone is an exclusion too: every other field stays.
  const onlyIdExcluded =
    entries.length === 1 && entries[0]![0] === "_id" && (entries[0]![1] === 0 || entries[0]![1] === false);
  if (excluded.length || onlyIdExcluded) {
    if (entries.some(([k, v]) => k !== "_id" && !(v === 0 || v === false))) throw new Unsupported("mixed projection");
    const paths = entries.filter(([, v]) => v === 0 || v === false).map(([k]) => k.split("."));
    return function* (docs) {
      const result: Doc[] = new Array<Doc>(docs.length);
      for (let i = 0; i < docs.length; i++) {
        if (tick()) yield;
        result[i] = paths.reduce((acc, p) => setPath(acc, p, undefined), docs[i]!);
      }
      return result;
    };
  }
  const keepId = !entries.some(([k, v]) => k === "_id" && (v === 0 || v === false));
  const idExpr = entries.find(([k, v]) => k === "_id" && !isFlag(v));
  const parts: [string[], Expr | "include"][] = [];
  for (const [k, v] of entries) {
    if (k === "_id") continue;
    if (v === 1 || v === true) parts.push([k.split("."), "include"]);
    else parts.push([k.split("."), compileExpr(v)]);
  }
  const id = idExpr ? compileExpr(idExpr[1]) : undefined;
  return function* (docs) {
    const result: Doc[] = new Array<Doc>(docs.length);
    for (let i = 0; i < docs.length; i++) {
      if (tick()) yield;
      const d = docs[i]!;
      let out: Doc = {};
      if (id) out._id = id(d, NO_VARS);
      else if (keepId && d._id !== undefined) out._id = d._id;
      for (const [p, f] of parts) {
        const v = f === "include" ? fieldPath(d, p) : f(d, NO_VARS);
        if (v === undefined) continue;
        if (p.length === 1) setOwnField(out, p[0]!, v);
        else out = setPath(out, p, v);
      }
      result[i] = out;
    }
    return result;
  };
}
