import { MongoCommandError } from "./errors.js";

/**
 * MongoDB's limits, enforced by the engine so a pipeline that would fail on a real server fails here
 * too: 100 MB per blocking stage (`$group`, `$sort`) unless the command allows disk use, and 100 MB
 * per `$push`/`$addToSet` accumulator always (they cannot spill). And a test mode that leaves order
 * unspecified where MongoDB does: `$group` output shuffled, `$sort` ties broken at random.
 */
export interface EngineLimits {
  /** Bytes a blocking stage or one array accumulator may hold (MongoDB: 100 MB). */
  readonly memoryLimitBytes: number;
  /** Shuffle `$group` output and break `$sort` ties at random (tests). */
  readonly shuffleUnordered: boolean;
  /**
   * Run `[$match] [$project | $set] $group` as one generated loop (codegen/fused-group.ts); off, stage
   * by stage with closures (a test compares the two).
   */
  readonly generateLoops: boolean;
}

/** MongoDB's `internalQueryMaxBlockingSortMemoryUsageBytes` and `$group`'s limit. */
export const MONGODB_MEMORY_LIMIT_BYTES = 100 * 1024 * 1024;

let limits: EngineLimits = {
  memoryLimitBytes: MONGODB_MEMORY_LIMIT_BYTES,
  shuffleUnordered: false,
  generateLoops: true,
};

/** Sets the engine's limits for this process (the database process reads them from its environment). */
export function configureLimits(next: Partial<EngineLimits>): void {
  limits = { ...limits, ...next };
}

/** The limits in force. */
export function engineLimits(): EngineLimits {
  return limits;
}

/**
 * Approximately the BSON size of a value: what MongoDB counts against its memory limits. Strings
 * count their UTF-16 length (close to UTF-8 for the ASCII that dominates), numbers and dates 8 bytes,
 * each field its name and a type byte.
 */
export function approxBsonSize(v: unknown): number {
  if (v === null || v === undefined) return 1;
  switch (typeof v) {
    case "number":
      return 8;
    case "string":
      return v.length + 5;
    case "boolean":
      return 1;
    case "bigint":
      return 8;
    case "object": {
      if (v instanceof Date) return 8;
      let n = 5;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) n += 2 + approxBsonSize(v[i]);
        return n;
      }
      if ((v as { _bsontype?: string })._bsontype) return 16;
      for (const k in v as Record<string, unknown>)
        n += k.length + 2 + approxBsonSize((v as Record<string, unknown>)[k]);
      return n;
    }
    default:
      return 8;
  }
}

/** A running byte count for one blocking stage or accumulator. */
export class MemoryBudget {
  used = 0;
  constructor(private readonly onExceeded: () => Error) {}

  /** Adds `bytes`; throws the stage's error once over the limit. */
  add(bytes: number): void {
    this.used += bytes;
    if (this.used > limits.memoryLimitBytes) throw this.onExceeded();
  }
}

/** `$push`/`$addToSet` over the limit: they cannot spill, so allowDiskUse does not help (code 146). */
export function accumulatorTooLarge(op: string): Error {
  return new MongoCommandError(
    146,
    "ExceededMemoryLimit",
    `${op} used too much memory and cannot spill to disk. Memory limit: ${limits.memoryLimitBytes} bytes`,
  );
}

/** A blocking stage over the limit without allowDiskUse (code 292). */
export function blockingStageTooLarge(stage: "$group" | "$sort"): Error {
  return stage === "$group"
    ? new MongoCommandError(
        292,
        "QueryExceededMemoryLimitNoDiskUseAllowed",
        "Exceeded memory limit for $group, but didn't allow external sort. Pass allowDiskUse:true to opt in.",
      )
    : new MongoCommandError(
        292,
        "QueryExceededMemoryLimitNoDiskUseAllowed",
        `Sort exceeded memory limit of ${limits.memoryLimitBytes} bytes, but did not opt in to external sorting.`,
      );
}

/** Fisher–Yates in place (the test mode's unspecified order). */
export function shuffleInPlace<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const t = xs[i]!;
    xs[i] = xs[j]!;
    xs[j] = t;
  }
  return xs;
}
