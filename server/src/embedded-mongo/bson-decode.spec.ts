import { BSON, Binary, Decimal128, Long, ObjectId, Timestamp } from "bson";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeDocument } from "./bson-decode.js";

const options = { promoteValues: true, promoteLongs: true, useBigInt64: false } as const;

const scalar = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom("FAILED", "SUCCEEDED", "t", "", "é", "日本", "a\u0000b"),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.double(),
  fc.constantFrom(2 ** 53, -(2 ** 53), 2 ** 53 + 2, -0, Number.MAX_SAFE_INTEGER),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => Long.fromBigInt(n)),
  // Where js-bson stops promoting int64 to a number: ±2^53 inclusive.
  fc
    .constantFrom(
      2n ** 53n,
      2n ** 53n + 1n,
      2n ** 53n - 1n,
      2n ** 53n + 2n ** 32n,
      -(2n ** 53n),
      -(2n ** 53n) - 1n,
      0n,
      -1n,
      2n ** 32n,
    )
    .map((n) => Long.fromBigInt(n)),
  fc.boolean(),
  fc.constant(null),
  fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => new Date(ms)),
  fc.constant(new ObjectId("65a0000000000000000000ff")),
  fc.constantFrom(
    new Binary(Buffer.from([1, 2, 3])),
    Decimal128.fromString("1.5"),
    new Timestamp({ t: 1, i: 2 }),
    /re/i,
  ),
);
const key = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("_id", "job", "state", "@timestamp", "a.b", "$x", "ключ", "__proto__"),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    scalar,
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(key, tie("v"), { maxKeys: 5 }),
  ),
})).v;
const doc = fc.dictionary(key, value, { maxKeys: 8 });

/** What js-bson gives, or the error it throws, as comparable text. */
function reference(bytes: Buffer): unknown {
  try {
    return BSON.deserialize(bytes, options);
  } catch (e) {
    return { threw: (e as Error).name };
  }
}

function ours(bytes: Buffer): unknown {
  try {
    return decodeDocument(bytes, 0, bytes.length);
  } catch (e) {
    return { threw: (e as Error).name };
  }
}

describe("decodeDocument", () => {
  it("decodes exactly what js-bson decodes", () => {
    fc.assert(
      fc.property(doc, (d) => {
        const bytes = Buffer.from(BSON.serialize(d));
        const got = ours(bytes);
        expect(got).toStrictEqual(reference(bytes));
        expect(Object.keys(got as object)).toEqual(Object.keys(reference(bytes) as object));
      }),
      { numRuns: 1000 },
    );
  });

  it("agrees with js-bson on corrupted bytes: the same value or the same refusal", () => {
    fc.assert(
      fc.property(
        doc,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
        (d, flips) => {
          const bytes = Buffer.from(BSON.serialize(d));
          for (const [at, v] of flips) bytes[at % bytes.length] = v;
          expect(ours(bytes)).toStrictEqual(reference(bytes));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("with idFirst, puts _id first (undefined when absent) and keeps every other field in order", () => {
    const id = new ObjectId("65a000000000000000000001");
    const withId = Buffer.from(BSON.serialize({ a: 1, b: "x", _id: id }));
    const got = decodeDocument(withId, 0, withId.length, true);
    expect(Object.keys(got)).toEqual(["_id", "a", "b"]);
    expect(got._id).toStrictEqual(id);
    const without = Buffer.from(BSON.serialize({ a: 1 }));
    const bare = decodeDocument(without, 0, without.length, true);
    expect(Object.keys(bare)).toEqual(["_id", "a"]);
    expect(bare._id).toBeUndefined();
  });

  it("reads a document inside a larger message at an offset", () => {
    const inner = Buffer.from(BSON.serialize({ a: 1, s: "FAILED", d: new Date(5) }));
    const msg = Buffer.concat([Buffer.from([9, 9, 9]), inner, Buffer.from([7])]);
    expect(decodeDocument(msg, 3, inner.length)).toStrictEqual({ a: 1, s: "FAILED", d: new Date(5) });
  });
});
