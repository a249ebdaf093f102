import { LRUCache } from "lru-cache";

/**
 * What a generated function is made of: its source, written only from this folder's templates, and
 * the values it reads, passed in as data. A field name, a constant or a helper is bound to a name of
 * the builder's own (`c0`, `c1`, …) in the function's prelude; nothing a pipeline contains is ever
 * spliced into source text, so no field name or value can change what the code does.
 */
export class SourceBuilder {
  /** The values bound in the prelude, by position: `c<i>` is `data[i]`. */
  readonly data: unknown[] = [];
  private readonly helpers = new Map<unknown, string>();
  private temps = 0;
  private readonly functions: { params: readonly string[]; body: readonly string[] }[] = [];

  /** A name bound to a value from the pipeline (a constant, a field name); one slot per occurrence. */
  value(v: unknown): string {
    this.data.push(v);
    return `c${this.data.length - 1}`;
  }

  /** A name bound to one of the engine's own functions or objects; one slot per helper. */
  helper(fn: unknown): string {
    let name = this.helpers.get(fn);
    if (!name) {
      name = this.value(fn);
      this.helpers.set(fn, name);
    }
    return name;
  }

  /** A fresh local of the generated function (for values read twice, as `$ifNull` does). */
  temp(): string {
    return `t${this.temps++}`;
  }

  /**
   * A function of the prelude (`f0`, `f1`, …) running `body` with `params`: a long loop body split
   * into functions V8 compiles quickly and optimizes whole (one huge function takes it hundreds of
   * milliseconds, and deoptimizes as a whole).
   */
  fn(params: readonly string[], body: readonly string[]): string {
    this.functions.push({ params, body });
    return `f${this.functions.length - 1}`;
  }

  /** The prelude's bindings (from the data array `C`) and functions, and the declaration of the temporaries. */
  prelude(): { bindings: string; temps: string } {
    const names = this.data.map((_, i) => `c${i} = C[${i}]`);
    const temps = this.temps ? `let ${Array.from({ length: this.temps }, (_, i) => `t${i}`).join(", ")};` : "";
    const fns = this.functions.map(
      (f, i) => `function f${i}(${f.params.join(", ")}) {\n  ${temps}\n  ${f.body.join("\n  ")}\n}`,
    );
    return { bindings: [names.length ? `const ${names.join(", ")};` : "", ...fns].join("\n"), temps };
  }
}

/** Thrown while generating when a construct cannot be fused into one loop; the caller runs the stages one by one. */
export class NotGenerated extends Error {}

/** Beyond this much source the stages run as closures (a huge expression would take long to compile). */
export const MAX_SOURCE_CHARS = 64 * 1024;

/** Compiled sources; a shape is one entry whatever values its queries carry. */
const compiled = new LRUCache<string, (data: readonly unknown[]) => unknown>({ max: 256 });

/**
 * The function a generated source returns, given its data. Each source is compiled once (V8 then
 * keeps the optimized code for every query of that shape); only the data differs between queries.
 */
export function instantiate<T>(source: string, data: readonly unknown[]): T {
  let factory = compiled.get(source);
  if (!factory) {
    factory = new Function("C", source) as (data: readonly unknown[]) => unknown;
    compiled.set(source, factory);
  }
  return factory(data) as T;
}
