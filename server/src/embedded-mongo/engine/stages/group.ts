import { compileExpr, type Doc } from "../compile-expr.js";
import { accumulator } from "../accumulators.js";
import { MemoryBudget, approxBsonSize, blockingStageTooLarge, engineLimits, shuffleInPlace } from "../limits.js";
import { diskUseAllowed, tick } from "../deadline.js";
import { badValue } from "../errors.js";
import { valueKey } from "../keys.js";
import { type Stage, NO_VARS } from "./stage.js";

/** `$group`: one state per key; without allowDiskUse the groups count against the memory limit; output shuffled in the test mode. */
export function compileGroup(spec: Doc): Stage {
  if (!("_id" in spec)) throw badValue("a group specification must include an _id");
  const id = compileExpr(spec._id);
  const accs = Object.entries(spec)
    .filter(([k]) => k !== "_id")
    .map(([k, v]) => [k, accumulator(v)] as const);
  return function* (docs) {
    const groups = new Map<string, { id: unknown; states: unknown[] }>();
    // Without allowDiskUse the groups (keys and states) count against the memory limit.
    const budget = diskUseAllowed() ? undefined : new MemoryBudget(() => blockingStageTooLarge("$group"));
    for (const d of docs) {
      if (tick()) yield;
      const key = id(d, NO_VARS);
      const k = valueKey(key === undefined ? null : key);
      let g = groups.get(k);
      if (!g) {
        g = { id: key === undefined ? null : key, states: accs.map(([, a]) => a.init(budget)) };
        groups.set(k, g);
        budget?.add(approxBsonSize(g.id) + 16 * accs.length);
      }
      for (let i = 0; i < accs.length; i++) accs[i]![1].step(g.states[i], d);
    }
    const out: Doc[] = [];
    for (const g of groups.values()) {
      const row: Doc = { _id: g.id };
      for (const [i, [k, a]] of accs.entries()) row[k] = a.done(g.states[i]);
      out.push(row);
    }
    return engineLimits().shuffleUnordered ? shuffleInPlace(out) : out;
  };
}
