/**
 * The mingo fallback made visible. The compiled engine hands a pipeline's rest to mingo at the first
 * stage or operator it does not cover; that is correct but slower, and two engines answer. Each
 * hand-over is counted (by the construct that caused it, reported by `serverStatus` as
 * `tally.engineFallbacks`), logged once per construct on stderr when `TALLY_ENGINE_DEBUG` is set,
 * and refused in strict mode (`TALLY_ENGINE_STRICT=1`, on in the test suite) so that every pipeline
 * Tally itself sends is known to run compiled.
 */

import { MongoCommandError } from "./errors.js";

const counts = new Map<string, number>();
let strict = false;
let debug = false;

/** Turns strict mode and the debug line on or off (the database process reads its environment). */
export function configureFallback(opts: { strict?: boolean; debug?: boolean }): void {
  strict = opts.strict ?? strict;
  debug = opts.debug ?? debug;
}

/** Thrown in strict mode instead of falling back (answered as an InternalError, code 1). */
export class FallbackRefused extends MongoCommandError {
  constructor(readonly construct: string) {
    super(
      1,
      "InternalError",
      `the compiled engine does not cover ${construct} and TALLY_ENGINE_STRICT refuses the mingo fallback`,
    );
  }
}

/** Records one hand-over to mingo, caused by `construct` (a stage or operator name). */
export function noteFallback(construct: string): void {
  const n = (counts.get(construct) ?? 0) + 1;
  if (counts.size < 256 || counts.has(construct)) counts.set(construct, n);
  if (debug && n === 1) process.stderr.write(`embedded engine: ${construct} runs on the mingo fallback\n`);
  if (strict) throw new FallbackRefused(construct);
}

/** Hand-overs so far, by construct. */
export function fallbackCounts(): Record<string, number> {
  return Object.fromEntries(counts);
}
