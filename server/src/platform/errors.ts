import { Code, ConnectError } from "@connectrpc/connect";
import { MongoError, MongoNetworkError, MongoServerError, MongoServerSelectionError } from "mongodb";
import { BadRequestSchema } from "@tally/sdk/gen/google/rpc/error_details_pb.js";

/**
 * Maps any thrown value to the ConnectError that may cross the API boundary. ConnectErrors pass as
 * they are; MongoDB errors map by code; everything else is Internal with a generic message (the
 * cause is kept on the error for the logging interceptor, never sent).
 */
export function toConnectError(e: unknown): ConnectError {
  if (e instanceof ConnectError) return e;
  if (e instanceof MongoError) return connectErrorFromMongo(e);
  return new ConnectError("internal error", Code.Internal, undefined, undefined, e);
}

/** MongoDB error → ConnectError, in one place. */
export function connectErrorFromMongo(e: MongoError): ConnectError {
  if (e instanceof MongoServerError) {
    switch (e.code) {
      case 50: // MaxTimeMSExpired
        return new ConnectError(
          "the query took longer than the deadline allows",
          Code.DeadlineExceeded,
          undefined,
          undefined,
          e,
        );
      case 11000: // DuplicateKey
        return new ConnectError("already exists", Code.AlreadyExists, undefined, undefined, e);
      case 10334: // BSONObjectTooLarge
      case 4031700: // $facet output over the document limit
        return new ConnectError(
          "the answer is larger than one 16 MiB document; narrow the request",
          Code.InvalidArgument,
          undefined,
          undefined,
          e,
        );
      case 16: // InvalidLength / bucket limits
      case 146: // ExceededMemoryLimit
      case 292: // QueryExceededMemoryLimitNoDiskUseAllowed
        return new ConnectError(
          "the query needs more memory than allowed; narrow it",
          Code.ResourceExhausted,
          undefined,
          undefined,
          e,
        );
      default:
        return new ConnectError("database error", Code.Internal, undefined, undefined, e);
    }
  }
  if (e instanceof MongoNetworkError || e instanceof MongoServerSelectionError) {
    return new ConnectError("database unavailable", Code.Unavailable, undefined, undefined, e);
  }
  return new ConnectError("database error", Code.Internal, undefined, undefined, e);
}

/**
 * InvalidArgument with the given message: the common case for validation failures. With `field` (the
 * request field's path, proto names), the error also carries a google.rpc.BadRequest detail naming it,
 * which gRPC and Connect clients read as field violations.
 */
export function invalidArgument(message: string, field?: string): ConnectError {
  if (field === undefined) return new ConnectError(message, Code.InvalidArgument);
  return new ConnectError(message, Code.InvalidArgument, undefined, [
    { desc: BadRequestSchema, value: { fieldViolations: [{ field, description: message }] } },
  ]);
}
