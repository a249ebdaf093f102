import { runOn, type CommandClock } from "./deadline.js";

/** A sliced command waiting for its next turn. */
interface Waiting {
  readonly clock: CommandClock;
  readonly resume: () => void;
}

const waiting: Waiting[] = [];
let scheduled = false;

/**
 * Runs a sliced computation (a long read) to its end, one slice per turn of the event loop, so that
 * commands arriving meanwhile start at once and short ones finish between the slices of long ones.
 * Of the computations waiting for a turn, the one that has run least goes first: a cheap query
 * waits at most one slice (SLICE_MS) behind any number of heavy ones, and heavy ones share the rest.
 * Each slice runs on the command's own clock, so `maxTimeMS` holds across slices.
 */
export async function runSliced<T>(clock: CommandClock, gen: Generator<void, T, void>): Promise<T> {
  for (;;) {
    const r = runOn(clock, () => gen.next());
    if (r.done) return r.value;
    await nextTurn(clock);
  }
}

function nextTurn(clock: CommandClock): Promise<void> {
  return new Promise((resume) => {
    waiting.push({ clock, resume });
    if (!scheduled) {
      scheduled = true;
      // setImmediate runs after the poll phase: sockets are read (new commands start) between slices.
      setImmediate(resumeOne);
    }
  });
}

function resumeOne(): void {
  scheduled = false;
  if (waiting.length === 0) return;
  let best = 0;
  for (let i = 1; i < waiting.length; i++) if (waiting[i]!.clock.usedMs < waiting[best]!.clock.usedMs) best = i;
  const [next] = waiting.splice(best, 1);
  next!.resume();
  if (waiting.length > 0) {
    scheduled = true;
    setImmediate(resumeOne);
  }
}
