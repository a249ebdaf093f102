import { type Doc, type Vars, setOwnField } from "../compile-expr.js";

/**
 * A compiled stage. It is a generator so that a long read can run in slices: it yields (nothing)
 * whenever `tick()` reports the slice used up, and returns its output documents. Driven to the end
 * without pausing, it is an ordinary synchronous function.
 */
export type Stage = (docs: Doc[]) => Generator<void, Doc[], void>;

/** Runs a sliced computation to its end without pausing (pipeline updates, tests). */
export function drain<T>(gen: Generator<void, T, void>): T {
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
  }
}

/** A stage whose work is small or cannot pause (a sort, a slice): wrapped as a generator. */
export function plain(f: (docs: Doc[]) => Doc[]): Stage {
  // biome-ignore lint/correctness/useYield: a stage is a generator even when it never pauses.
  return function* (docs) {
    return f(docs);
  };
}

/** The variables of a top-level expression: none. Shared, and frozen because scopes copy before adding. */
export const NO_VARS: Vars = Object.freeze({});

/** A copy of `doc` with `parts` set to `value` (copying only the objects on the path). */
export function setPath(doc: Doc, parts: readonly string[], value: unknown): Doc {
  const out: Doc = { ...doc };
  let cur = out;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = cur[parts[i]!];
    const copy: Doc =
      next !== null && typeof next === "object" && !Array.isArray(next) && !(next instanceof Date)
        ? { ...(next as Doc) }
        : {};
    setOwnField(cur, parts[i]!, copy);
    cur = copy;
  }
  if (value === undefined) delete cur[parts.at(-1)!];
  else setOwnField(cur, parts.at(-1)!, value);
  return out;
}
