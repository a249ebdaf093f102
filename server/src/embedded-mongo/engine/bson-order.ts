import { ObjectId } from "bson";

/**
 * MongoDB's comparison order across BSON types: MinKey < null/missing < numbers < strings < objects
 * < arrays < binary < ObjectId < booleans < dates < timestamps < regex < MaxKey.
 */
function typeRank(v: unknown): number {
  if (v === undefined || v === null) return 1;
  if (typeof v === "number" || typeof v === "bigint") return 2;
  if (typeof v === "string") return 3;
  if (v instanceof Date) return 9;
  if (typeof v === "boolean") return 8;
  if (v instanceof ObjectId) return 7;
  if (Array.isArray(v)) return 5;
  if (v instanceof RegExp) return 11;
  if (typeof v === "object") {
    const t = (v as { _bsontype?: string })._bsontype;
    if (t === "Long" || t === "Double" || t === "Int32" || t === "Decimal128") return 2;
    if (t === "Binary") return 6;
    if (t === "Timestamp") return 10;
    if (t === "MinKey") return 0;
    if (t === "MaxKey") return 12;
    return 4;
  }
  return 4;
}

function num(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  return Number((v as { valueOf(): unknown }).valueOf());
}

/** Total order of two BSON values, as `$sort` and `$min`/`$max` use it. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 1:
      return 0;
    case 2: {
      const x = num(a);
      const y = num(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 3:
      return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
    case 9:
      return (a as Date).getTime() - (b as Date).getTime();
    case 8:
      return Number(a) - Number(b);
    case 7:
      return (a as ObjectId).toHexString().localeCompare((b as ObjectId).toHexString());
    case 5: {
      const x = a as unknown[];
      const y = b as unknown[];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compareValues(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    case 4: {
      const xa = Object.entries(a as object);
      const ya = Object.entries(b as object);
      for (let i = 0; i < Math.min(xa.length, ya.length); i++) {
        const [ka, va] = xa[i]!;
        const [kb, vb] = ya[i]!;
        if (ka !== kb) return ka < kb ? -1 : 1;
        const c = compareValues(va, vb);
        if (c !== 0) return c;
      }
      return xa.length - ya.length;
    }
    default:
      return 0;
  }
}

/** BSON equality (numbers of any width equal by value; missing is not null in expressions). */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return typeRank(a) === typeRank(b) && compareValues(a, b) === 0;
}

/** Same bracket of the type order: query comparison operators only match within one. */
export function sameTypeBracket(a: unknown, b: unknown): boolean {
  return typeRank(a) === typeRank(b);
}
