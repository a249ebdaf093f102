import { Random, dailyRhythm } from "./random.js";

/** A demo delivery-stats point. */
export interface DemoPoint {
  ds: string;
  metric: string;
  time: Date;
  value: number;
  samples: number;
}

/** 1-minute points for `days` days up to `now`, following the daily traffic curve. */
export function* demoPoints(
  now: Date,
  ds: string,
  metrics: readonly string[],
  scale: number,
  days = 14,
  seed = 31,
): Generator<DemoPoint> {
  const r = new Random(seed + ds.length);
  const end = Math.floor(now.getTime() / 60_000) * 60_000;
  for (let m = days * 1440; m >= 0; m--) {
    const time = new Date(end - m * 60_000);
    const base = dailyRhythm(time) * scale * (0.9 + 0.2 * r.next());
    const tps = base;
    const values: Record<string, number> = {
      kbps: tps * 180 * (0.8 + 0.4 * r.next()),
      tps_total: tps,
      tps_2xx: tps * 0.93,
      tps_3xx: tps * 0.04,
      tps_4xx: tps * 0.025 * r.next() * 2,
      tps_5xx: tps * 0.005 * r.next() * 2,
    };
    for (const metric of metrics)
      yield { ds, metric, time, value: Math.round(values[metric]! * 1000) / 1000, samples: 1 };
  }
}
