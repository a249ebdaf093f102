import type { NodeResponse } from "./http.js";

/**
 * Percent-encodes a gRPC status message as the gRPC HTTP/2 spec asks: only bytes outside printable
 * ASCII (0x20–0x7E) and `%` itself. connect-node uses `encodeURIComponent`, which also escapes `,`,
 * `/`, `$` and friends; grpc-js decodes with `decodeURI`, which leaves those escaped — so a grpc-js
 * client would read `a%2Cb` for `a,b`. Re-encoding minimally suits every conforming decoder.
 */
export function specEncodeGrpcMessage(connectEncoded: string): string {
  let text: string;
  try {
    text = decodeURIComponent(connectEncoded);
  } catch {
    return connectEncoded;
  }
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Wraps `addTrailers` of a gRPC response so `grpc-message` leaves spec-encoded. */
export function normalizeGrpcMessageTrailer(res: NodeResponse): void {
  const original = res.addTrailers.bind(res) as (headers: Record<string, string | string[]>) => void;
  (res as { addTrailers: typeof original }).addTrailers = (headers) => {
    const m = headers["grpc-message"];
    if (typeof m === "string") headers["grpc-message"] = specEncodeGrpcMessage(m);
    original(headers);
  };
}
