import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";

/** Bodies smaller than this go out as they are (compressing them costs more than it saves). */
export const COMPRESS_MIN_BYTES = 1024;

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** The encoding to answer with for an `Accept-Encoding` header: br, then gzip, honouring q=0. */
export function chooseEncoding(acceptEncoding: string | null | undefined): "br" | "gzip" | undefined {
  if (!acceptEncoding) return undefined;
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    const qv = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (name) q.set(name, qv === undefined ? 1 : Number(qv));
  }
  const accepts = (e: string) => (q.get(e) ?? q.get("*") ?? 0) > 0;
  return accepts("br") ? "br" : accepts("gzip") ? "gzip" : undefined;
}

/** Compresses off the event loop (zlib's thread pool); brotli at a quality that suits live answers. */
export function compress(body: string, encoding: "br" | "gzip"): Promise<Buffer> {
  return encoding === "br"
    ? brotli(body, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_SIZE_HINT]: Buffer.byteLength(body) },
      })
    : gz(body, { level: 6 });
}
