// The embedded engine keeps its own copy of MongoDB's date semantics (it imports nothing from the
// application); the application keeps its model in platform/time/ to compute bucket keys on any
// MongoDB. The two must agree everywhere, DST days included.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dateTrunc as engineTrunc } from "../../server/src/embedded-mongo/engine/time/date-trunc.js";
import {
  localToUtc as engineLocal,
  offsetAt as engineOffset,
} from "../../server/src/embedded-mongo/engine/time/timezone.js";
import { dateTrunc, type DateUnit } from "../../server/src/platform/time/date-trunc.js";
import { localToUtc, offsetAt } from "../../server/src/platform/time/timezone.js";

const zones = ["UTC", "America/New_York", "Europe/Paris", "Australia/Lord_Howe", "Asia/Kathmandu", "+05:30", "-0800"];
const units: DateUnit[] = ["year", "quarter", "month", "week", "day", "hour", "minute", "second"];

describe("the engine's date semantics equal the application's model", () => {
  it("offsets, local times and $dateTrunc for any instant, unit, bin size and zone", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) }),
        fc.constantFrom(...zones),
        fc.constantFrom(...units),
        fc.integer({ min: 1, max: 7 }),
        fc.constantFrom("sunday", "monday"),
        (ms, tz, unit, bin, sow) => {
          expect(engineOffset(tz, ms)).toBe(offsetAt(tz, ms));
          expect(engineLocal(tz, ms)).toBe(localToUtc(tz, ms));
          expect(engineTrunc(new Date(ms), unit, bin, tz, sow).getTime()).toBe(
            dateTrunc(new Date(ms), unit, bin, tz, sow).getTime(),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });
});
