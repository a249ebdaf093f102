/** RFC 3339 timestamps at the precision their text carries. */

const rfc3339 = /^(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Microseconds since the Unix epoch of an RFC 3339 timestamp, finer digits truncated (as Postgres
 * keeps `timestamptz`); `null` for anything else.
 */
export function rfc3339Micros(v: unknown): number | null {
  const m = typeof v === "string" ? rfc3339.exec(v) : null;
  if (!m) return null;
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  return Number.isNaN(seconds) ? null : seconds * 1000 + Number((m[2] ?? "").padEnd(6, "0").slice(0, 6));
}
