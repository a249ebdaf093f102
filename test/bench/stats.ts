/** One printed figure: what was measured, its value, and its comparison from the same run. */
export interface Figure {
  readonly section: string;
  readonly name: string;
  readonly size: string;
  readonly value: string;
  readonly baseline?: string;
  readonly ratio?: number;
  readonly target?: string;
  readonly note?: string;
}

/** Median wall time of `runs` executions (after `warmups` unmeasured ones), in ms. */
export async function medianMs(fn: () => Promise<unknown> | unknown, runs = 5, warmups = 1): Promise<number> {
  for (let i = 0; i < warmups; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return percentile(times, 50);
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const fmtMs = (ms: number) => (ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`);
export const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

/** Latencies of `count` calls at a given concurrency: p50, p99, max and calls per second. */
export async function load(
  call: () => Promise<unknown>,
  count: number,
  concurrency: number,
): Promise<{
  p50: number;
  p99: number;
  max: number;
  rps: number;
  errors: number;
  latencies: number[];
  seconds: number;
}> {
  const lat: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const t = performance.now();
        try {
          await call();
        } catch {
          errors++;
        }
        lat.push(performance.now() - t);
      }
    }),
  );
  const secs = (performance.now() - started) / 1000;
  return {
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    max: Math.max(...lat),
    rps: Math.round(lat.length / secs),
    errors,
    latencies: lat,
    seconds: secs,
  };
}
