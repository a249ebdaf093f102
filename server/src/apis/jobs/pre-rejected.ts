import { createContextKey } from "@connectrpc/connect";
import type { Rejection } from "@tally/sdk/gen/tally/common/v1/ingest_pb.js";

/**
 * Items of an ingest that the REST shape could not decode (their place in the batch kept by an empty
 * item), with the reason: REST's own knowledge, handed to the service as a context value, never as a
 * field an RPC caller could set.
 */
export const kPreRejected = createContextKey<readonly Rejection[]>([], { description: "jobs pre-rejected items" });
