/**
 * Scale's `started`/`ended`: an ISO-8601 datetime (with `Z` or an offset) or an ISO-8601 duration
 * (`PT3H0M0S`, `P1DT2H`), meaning now minus the duration. Returns undefined when it is neither.
 */
export function parseTimeParam(v: string, now: Date): Date | undefined {
  const dur =
    /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(
      v,
    );
  if (dur && v !== "P" && !v.endsWith("T")) {
    const [w, d, h, m, s] = dur.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number];
    const ms = ((((w * 7 + d) * 24 + h) * 60 + m) * 60 + s) * 1000;
    return new Date(now.getTime() - ms);
  }
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(v)) return undefined;
  const normalized = v.replace(" ", "T").replace(/([+-]\d{2})(\d{2})$/, "$1:$2");
  const withZone = /T/.test(normalized) && !/(Z|[+-]\d{2}:\d{2})$/.test(normalized) ? `${normalized}Z` : normalized;
  const d = new Date(/T/.test(withZone) ? withZone : `${withZone}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
