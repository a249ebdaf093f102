import { maxTimeExpired } from "./errors.js";

/**
 * The time limit (`maxTimeMS`) of the command being executed. The engine is synchronous, so one
 * command runs at a time and a module-level deadline is exact. Loops over documents call `tick()`;
 * every 1,024 ticks it reads the clock and stops the command with MaxTimeMSExpired (50) once the
 * limit has passed, as mongod interrupts an operation at its next yield point.
 */
let deadlineAt = Number.POSITIVE_INFINITY;
let ticks = 0;

export function runWithin<T>(maxTimeMS: number, fn: () => T): T {
  const outer = deadlineAt;
  deadlineAt = maxTimeMS > 0 ? Math.min(outer, performance.now() + maxTimeMS) : outer;
  try {
    return fn();
  } finally {
    deadlineAt = outer;
  }
}

export function tick(): void {
  if ((++ticks & 1023) === 0 && deadlineAt !== Number.POSITIVE_INFINITY) checkDeadline();
}

export function checkDeadline(): void {
  if (performance.now() > deadlineAt) throw maxTimeExpired();
}

/** `items`, ticking once per item (for the mingo fallback, which pulls documents lazily). */
export function* ticking<T>(items: Iterable<T>): Generator<T> {
  for (const x of items) {
    tick();
    yield x;
  }
}
