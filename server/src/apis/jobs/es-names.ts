/** The Elasticsearch name of a oneof case (`dateHistogram` → `date_histogram`). */
export function esName(c: string): string {
  return c.replace(/[A-Z]/g, (x) => `_${x.toLowerCase()}`);
}

/** The values a `stats` (or `stats_bucket`) result carries, as a path may name them (`stats.avg`). */
export const statsValues: ReadonlySet<string> = new Set(["count", "min", "max", "avg", "sum"]);
