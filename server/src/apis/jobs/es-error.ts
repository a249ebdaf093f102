import { ConnectError } from "@connectrpc/connect";
import { invalidArgument } from "../../platform/errors.js";

/**
 * An Elasticsearch-style request error: InvalidArgument over RPC with a `google.rpc.BadRequest`
 * detail naming the request field (`aggs`, `query`, …), 400 `{"status_code", "detail"}` over REST.
 */
export function esError(message: string, field = "aggs"): ConnectError {
  return invalidArgument(message, field);
}

/** Elasticsearch's `search.max_buckets` default: buckets one answer may hold. */
export const MAX_BUCKETS = 65_536;

/** Elasticsearch's too_many_buckets_exception text for `count` buckets. */
export function tooManyBuckets(count: number): ConnectError {
  return esError(
    `Trying to create too many buckets. Must be less than or equal to: [${MAX_BUCKETS}] but was [${count}]. This limit can be set by changing the [search.max_buckets] cluster level setting.`,
  );
}

/** The same refusal when the buckets are too many to fit in one 16 MiB answer document. */
export function tooManyBucketsForSize(): ConnectError {
  return esError(
    `Trying to create too many buckets. Must be less than or equal to: [${MAX_BUCKETS}] and fit in one 16 MiB answer, but the buckets exceed that size. Narrow the query or lower the sizes.`,
  );
}

/** Whether an error is MongoDB's "answer larger than one document" (BSONObjectTooLarge, $facet overflow). */
export function isTooLarge(e: unknown): boolean {
  const cause = e instanceof ConnectError ? e.cause : e;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return code === 10334 || code === 4031700;
}
