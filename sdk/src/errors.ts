import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "./gen/google/rpc/error_details_pb.js";

const is =
  (code: Code) =>
  (e: unknown): e is ConnectError =>
    e instanceof ConnectError && e.code === code;

/** "Doesn't exist" and "not yours" look the same, by design. */
export const isNotFound = is(Code.NotFound);
/** True for a ConnectError with Code.PermissionDenied (the caller lacks the permission). */
export const isPermissionDenied = is(Code.PermissionDenied);
/** True for a ConnectError with Code.Unauthenticated (no, expired or revoked token). */
export const isUnauthenticated = is(Code.Unauthenticated);
/** True for a ConnectError with Code.InvalidArgument (see `fieldViolations`). */
export const isInvalidArgument = is(Code.InvalidArgument);
/** True for a ConnectError with Code.Unavailable (retried by the SDK). */
export const isUnavailable = is(Code.Unavailable);

/** A field-level problem: from an ingest rejection or an InvalidArgument message. */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
  /** Position in the batch, for ingest rejections. */
  readonly index?: number;
}

/**
 * Field violations of a failed call or of an ingest result. Ingest answers list rejected items with
 * their field; a refused request carries google.rpc.BadRequest details (over Connect, gRPC and
 * gRPC-Web alike); failing those, its message may name the field (`<field>: <reason>` or `[<field>] ...`).
 */
export function fieldViolations(e: unknown): FieldViolation[] {
  const result = (e as { result?: { rejections?: { index: number; field: string; reason: string }[] } } | undefined)
    ?.result;
  if (result?.rejections)
    return result.rejections.map((r) => ({ field: r.field, description: r.reason, index: r.index }));
  if (!(e instanceof ConnectError) || e.code !== Code.InvalidArgument) return [];
  const fromDetails = e
    .findDetails(BadRequestSchema)
    .flatMap((b) => b.fieldViolations.map((v) => ({ field: v.field, description: v.description })));
  if (fromDetails.length) return fromDetails;
  const m = /^([\w.@]+): (.*)$/.exec(e.rawMessage) ?? /^\[([\w.@]+)\] (.*)$/.exec(e.rawMessage);
  return [{ field: m?.[1] ?? "", description: m?.[2] ?? e.rawMessage }];
}
