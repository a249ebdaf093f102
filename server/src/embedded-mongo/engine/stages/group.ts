import { compileExpr, setOwnField, type Doc } from "../compile-expr.js";
import { type Acc, accumulator } from "../accumulators.js";
import { MemoryBudget, approxBsonSize, blockingStageTooLarge, engineLimits, shuffleInPlace } from "../limits.js";
import { diskUseAllowed, tick } from "../deadline.js";
import { badValue } from "../errors.js";
import { valueKey } from "../keys.js";
import { type Stage, NO_VARS } from "./stage.js";

/** One group: its `_id` and one state per accumulator. */
export interface Group {
  readonly id: unknown;
  readonly states: unknown[];
}

/** A `$group`'s accumulators by output field, validated as mongod validates the specification. */
export function groupAccumulators(spec: Doc): (readonly [string, Acc])[] {
  if (!("_id" in spec)) throw badValue("a group specification must include an _id");
  return Object.entries(spec)
    .filter(([k]) => k !== "_id")
    .map(([k, v]) => [k, accumulator(v)] as const);
}

/**
 * The groups of one `$group` run: keyed by the canonical key of their `_id`; without allowDiskUse
 * the groups (keys and states) count against the memory limit; output shuffled in the test mode.
 */
export class GroupTable {
  readonly groups = new Map<string, Group>();
  private readonly budget = diskUseAllowed() ? undefined : new MemoryBudget(() => blockingStageTooLarge("$group"));

  constructor(private readonly accs: readonly (readonly [string, Acc])[]) {}

  // The usual keys (a string, a number, a date's instant) also find their group without a canonical key
  // string being built and hashed per document.
  private readonly byString = new Map<string, Group>();
  private readonly byTime = new Map<number, Group>();
  private readonly byNumber = new Map<number, Group>();

  /** The group of an evaluated `_id`, opened on first sight. */
  get(key: unknown): Group {
    if (typeof key === "string") {
      let g = this.byString.get(key);
      if (g === undefined) this.byString.set(key, (g = this.canonical(key)));
      return g;
    }
    if (typeof key === "number") {
      let g = this.byNumber.get(key);
      if (g === undefined) this.byNumber.set(key, (g = this.canonical(key)));
      return g;
    }
    if (key instanceof Date) {
      const t = key.getTime();
      let g = this.byTime.get(t);
      if (g === undefined) this.byTime.set(t, (g = this.canonical(key)));
      return g;
    }
    return this.canonical(key);
  }

  private canonical(key: unknown): Group {
    const k = valueKey(key === undefined ? null : key);
    return this.groups.get(k) ?? this.open(k, key);
  }

  /** The group of canonical key `k` (`valueKey` of its `_id`), if open. */
  find(k: string): Group | undefined {
    return this.groups.get(k);
  }

  /** Opens the group of canonical key `k` (not yet in the table) with its `_id`. */
  open(k: string, key: unknown): Group {
    const g = { id: key === undefined ? null : key, states: this.accs.map(([, a]) => a.init(this.budget)) };
    this.groups.set(k, g);
    this.budget?.add(approxBsonSize(g.id) + 16 * this.accs.length);
    return g;
  }

  /** The output documents, one per group. */
  output(): Doc[] {
    const out: Doc[] = [];
    for (const g of this.groups.values()) {
      const row: Doc = { _id: g.id };
      for (const [i, [k, a]] of this.accs.entries()) setOwnField(row, k, a.done(g.states[i]));
      out.push(row);
    }
    return engineLimits().shuffleUnordered ? shuffleInPlace(out) : out;
  }
}

/** `$group`: one state per key (see GroupTable). */
export function compileGroup(spec: Doc): Stage {
  const accs = groupAccumulators(spec);
  const id = compileExpr(spec._id);
  return function* (docs) {
    const table = new GroupTable(accs);
    for (const d of docs) {
      if (tick()) yield;
      const g = table.get(id(d, NO_VARS));
      for (let i = 0; i < accs.length; i++) accs[i]![1].step(g.states[i], d);
    }
    return table.output();
  };
}
