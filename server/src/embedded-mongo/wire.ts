import { BSON, type Document } from "bson";
import { decodeDocument } from "./bson-decode.js";

/** MongoDB wire protocol opcodes Tally's embedded database speaks. */
export const OP_REPLY = 1;
/** The legacy query opcode (only the driver's first `hello` uses it). */
export const OP_QUERY = 2004;
/** The opcode of every modern command. */
export const OP_MSG = 2013;

/** OP_MSG flag: a CRC-32C follows the sections. */
export const FLAG_CHECKSUM_PRESENT = 1 << 0;
/** OP_MSG flag: no reply is expected (or more replies follow). */
export const FLAG_MORE_TO_COME = 1 << 1;

/** Largest message the server accepts or sends (what `hello` advertises). */
export const MAX_MESSAGE_BYTES = 48_000_000;
/** MongoDB's document size limit (16 MiB). */
export const MAX_BSON_OBJECT_BYTES = 16 * 1024 * 1024;

/** A wire message header. */
export interface Header {
  readonly length: number;
  readonly requestId: number;
  readonly responseTo: number;
  readonly opCode: number;
}

/** A decoded request: the command document (with kind-1 sequences merged in) and how to reply. */
export interface Request {
  readonly header: Header;
  readonly command: Document;
  /** OP_MSG moreToCome: the client expects no reply. */
  readonly moreToCome: boolean;
  /** True for legacy OP_QUERY (the driver's first handshake), answered with OP_REPLY. */
  readonly legacy: boolean;
}

const bsonOptions = { promoteValues: true, promoteLongs: true, useBigInt64: false } as const;

/** The header at the start of `buf`. */
export function readHeader(buf: Buffer): Header {
  return {
    length: buf.readInt32LE(0),
    requestId: buf.readInt32LE(4),
    responseTo: buf.readInt32LE(8),
    opCode: buf.readInt32LE(12),
  };
}

/** Decodes one whole message (header included). Throws on malformed input. */
export function decodeRequest(msg: Buffer): Request {
  const header = readHeader(msg);
  if (header.opCode === OP_MSG) {
    const flags = msg.readUInt32LE(16);
    const end = flags & FLAG_CHECKSUM_PRESENT ? msg.length - 4 : msg.length;
    let pos = 20;
    let body: Document | undefined;
    const sequences: [string, Document[]][] = [];
    while (pos < end) {
      const kind = msg.readUInt8(pos++);
      if (kind === 0) {
        const size = msg.readInt32LE(pos);
        body = BSON.deserialize(msg.subarray(pos, pos + size), bsonOptions);
        pos += size;
      } else if (kind === 1) {
        const size = msg.readInt32LE(pos);
        const sectionEnd = pos + size;
        let p = pos + 4;
        const nul = msg.indexOf(0, p);
        const id = msg.toString("utf8", p, nul);
        p = nul + 1;
        const docs: Document[] = [];
        while (p < sectionEnd) {
          const dsize = msg.readInt32LE(p);
          // Inserted documents come with `_id` first (see withIdFirst); update and delete statements as sent.
          docs.push(decodeDocument(msg, p, dsize, id === "documents"));
          p += dsize;
        }
        sequences.push([id, docs]);
        pos = sectionEnd;
      } else {
        throw new Error(`unknown OP_MSG section kind ${kind}`);
      }
    }
    if (!body) throw new Error("OP_MSG without a body section");
    for (const [id, docs] of sequences) body[id] = docs;
    return { header, command: body, moreToCome: (flags & FLAG_MORE_TO_COME) !== 0, legacy: false };
  }
  if (header.opCode === OP_QUERY) {
    let pos = 20;
    const nul = msg.indexOf(0, pos);
    const ns = msg.toString("utf8", pos, nul);
    pos = nul + 1 + 8; // numberToSkip, numberToReturn
    const size = msg.readInt32LE(pos);
    const query = BSON.deserialize(msg.subarray(pos, pos + size), bsonOptions);
    const command = query.$query && typeof query.$query === "object" ? (query.$query as Document) : query;
    if (!command.$db) command.$db = ns.split(".")[0];
    return { header, command, moreToCome: false, legacy: true };
  }
  throw new Error(`unsupported opCode ${header.opCode}`);
}

let nextRequestId = 1;

/** Encodes a reply to `req`: OP_MSG with one body section, or OP_REPLY for a legacy query. */
export function encodeReply(req: Request, reply: Document): Buffer {
  const doc = Buffer.from(BSON.serialize(reply));
  const id = nextRequestId++ & 0x7fffffff;
  if (req.legacy) {
    const out = Buffer.alloc(16 + 20 + doc.length);
    out.writeInt32LE(out.length, 0);
    out.writeInt32LE(id, 4);
    out.writeInt32LE(req.header.requestId, 8);
    out.writeInt32LE(OP_REPLY, 12);
    out.writeInt32LE(8, 16); // responseFlags: AwaitCapable
    out.writeBigInt64LE(0n, 20); // cursorID
    out.writeInt32LE(0, 28); // startingFrom
    out.writeInt32LE(1, 32); // numberReturned
    doc.copy(out, 36);
    return out;
  }
  const out = Buffer.alloc(16 + 4 + 1 + doc.length);
  out.writeInt32LE(out.length, 0);
  out.writeInt32LE(id, 4);
  out.writeInt32LE(req.header.requestId, 8);
  out.writeInt32LE(OP_MSG, 12);
  out.writeUInt32LE(0, 16);
  out.writeUInt8(0, 20);
  doc.copy(out, 21);
  return out;
}
