import { maxTimeExpired } from "./errors.js";

/**
 * Time accounting of the command the engine is executing right now. The engine runs one command at a
 * time on one thread; long reads run in slices (see scheduler.ts), and each slice installs its
 * command's clock here, so a module-level "current clock" is exact.
 *
 * Loops over documents call `tick()`; every 1,024 ticks it reads the time, stops the command with
 * MaxTimeMSExpired (50) once its `maxTimeMS` has passed (as mongod interrupts an operation at its next
 * yield point), and reports whether the current slice is used up, so a sliced loop can yield.
 */
export interface CommandClock {
  /** performance.now() after which the command fails with MaxTimeMSExpired. */
  readonly deadlineAt: number;
  /** Time the command has run so far, across slices. */
  usedMs: number;
  /** The command's `allowDiskUse`: blocking stages may then pass the memory limit (they would spill). */
  readonly allowDiskUse?: boolean;
}

/** How long one slice of a long read runs before it lets other commands in. */
export const SLICE_MS = 4;

const idle: CommandClock = { deadlineAt: Number.POSITIVE_INFINITY, usedMs: 0 };
let current: CommandClock = idle;
let sliceStart = 0;
let sliceOver = false;
let ticks = 0;

/** A clock for a command with the given `maxTimeMS` (0: no limit). */
export function newClock(maxTimeMS: number, allowDiskUse = false): CommandClock {
  return {
    deadlineAt: maxTimeMS > 0 ? performance.now() + maxTimeMS : Number.POSITIVE_INFINITY,
    usedMs: 0,
    allowDiskUse,
  };
}

/** Whether the command running now lets blocking stages spill. */
export function diskUseAllowed(): boolean {
  return current.allowDiskUse === true;
}

/** Runs `fn` (one slice, or a whole short command) on `clock`, adding the time it took. */
export function runOn<T>(clock: CommandClock, fn: () => T): T {
  const outer = current;
  const outerStart = sliceStart;
  const outerOver = sliceOver;
  current = clock;
  sliceStart = performance.now();
  sliceOver = false;
  try {
    return fn();
  } finally {
    clock.usedMs += performance.now() - sliceStart;
    current = outer;
    sliceStart = outerStart;
    sliceOver = outerOver;
  }
}

/** Runs a whole command with its `maxTimeMS` (0: no limit). */
export function runWithin<T>(maxTimeMS: number, fn: () => T): T {
  return runOn(newClock(maxTimeMS), fn);
}

/** Counts one unit of work; true once the current slice is used up (sliced loops then yield). */
export function tick(): boolean {
  if ((++ticks & 1023) === 0) checkDeadline();
  return sliceOver;
}

/** Counts `n` units of work done in one batch (a generated loop's chunk); reads the clock once. */
export function tickMany(n: number): boolean {
  ticks += n;
  checkDeadline();
  return sliceOver;
}

/** Throws MaxTimeMSExpired past the deadline; notes when the slice is used up. */
export function checkDeadline(): void {
  const now = performance.now();
  if (now > current.deadlineAt) throw maxTimeExpired();
  if (now - sliceStart > SLICE_MS) sliceOver = true;
}

/** `items`, ticking once per item (for the mingo fallback, which pulls documents lazily). */
export function* ticking<T>(items: Iterable<T>): Generator<T> {
  for (const x of items) {
    tick();
    yield x;
  }
}
