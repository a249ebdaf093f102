import { Code, ConnectError } from "@connectrpc/connect";

/** An Elasticsearch-style request error: InvalidArgument over RPC, 400 `{"status_code", "detail"}` over REST. */
export function esError(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}

export const MAX_BUCKETS = 65_536;

export function tooManyBuckets(count: number): ConnectError {
  return esError(
    `Trying to create too many buckets. Must be less than or equal to: [${MAX_BUCKETS}] but was [${count}]. This limit can be set by changing the [search.max_buckets] cluster level setting.`,
  );
}
