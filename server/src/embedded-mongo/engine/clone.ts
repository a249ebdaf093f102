/** Deep-copies plain objects, arrays and Dates; BSON value classes (ObjectId, Long, Binary) are immutable and shared. */
export function deepClone<T>(v: T): T {
  if (v === null || typeof v !== "object") return v;
  if (v instanceof Date) return new Date(v.getTime()) as T;
  if (Array.isArray(v)) return v.map(deepClone) as T;
  if ((v as object).constructor !== Object && Object.getPrototypeOf(v) !== null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = deepClone(x);
  return out as T;
}
