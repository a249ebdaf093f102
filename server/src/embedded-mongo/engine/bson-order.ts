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

/**
 * Strings in MongoDB's binary (UTF-8 byte, i.e. code point) order. JavaScript's `<` compares UTF-16
 * code units, which puts characters above U+FFFF (surrogate pairs) before U+E000–U+FFFF.
 */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x - y;
    return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Surrogates (code points ≥ U+10000) rank above U+E000–U+FFFF. */
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  return unit >= 0xe000 ? unit - 0x800 : unit;
}

/** Whether a value is a number of any BSON width (double, int, long, decimal). */
export function isBsonNumber(v: unknown): boolean {
  if (typeof v === "number") return true;
  return typeRank(v) === 2 && v !== null && v !== undefined;
}

/** A BSON number as a JavaScript number. */
export function toNumber(v: unknown): number {
  return num(v);
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
      // NaN equals NaN and sorts below every other number, as in MongoDB.
      if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : -1) : 1;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 3:
      return compareStrings(a as string, b as string);
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
        // Element by element: the value's type first, then the field name, then the value.
        const t = typeRank(va) - typeRank(vb);
        if (t !== 0) return t;
        if (ka !== kb) return compareStrings(ka, kb);
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
