import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
  ftruncateSync,
} from "node:fs";
import { join } from "node:path";
import { BSON, type Document } from "bson";
import type { Event } from "./commands.js";
import type { Store } from "./engine/database.js";
import { decodeDocument } from "./bson-decode.js";
import { valueKey } from "./engine/keys.js";

/** The data directory and its files: the owner only. */
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/**
 * Durability for the embedded database: every write's events are appended to `journal.bson` and
 * fsync'd before the write is acknowledged. At open, `snapshot.bson` then the journal are replayed
 * (a torn last record — a crash mid-append — is cut off), a fresh snapshot is written atomically
 * (temp file, fsync, rename) and the journal starts empty.
 */
export class Journal {
  private fd: number;

  private constructor(private readonly dir: string) {
    this.fd = openSync(join(dir, "journal.bson"), "a", FILE_MODE);
  }

  static open(dir: string, store: Store): { journal: Journal; replayed: number } {
    // Every tenant's data and the secret hashes live here: the owner alone may read them.
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    chmodSync(dir, DIR_MODE);
    for (const file of ["snapshot.bson", "journal.bson"])
      if (existsSync(join(dir, file))) chmodSync(join(dir, file), FILE_MODE);
    let replayed = 0;
    let journalEvents = 0;
    for (const file of ["snapshot.bson", "journal.bson"]) {
      const path = join(dir, file);
      if (!existsSync(path)) continue;
      const { events, goodBytes, total } = readEvents(readFileSync(path));
      for (const e of events) applyEvent(store, e);
      replayed += events.length;
      if (file === "journal.bson") journalEvents = events.length;
      if (goodBytes < total) {
        const fd = openSync(path, "r+");
        ftruncateSync(fd, goodBytes);
        fsyncSync(fd);
        closeSync(fd);
      }
    }
    // After a clean stop the journal is empty and the snapshot already current: nothing to rewrite.
    if (journalEvents > 0 || !existsSync(join(dir, "snapshot.bson"))) writeSnapshot(dir, store);
    const journalFd = openSync(join(dir, "journal.bson"), "w", FILE_MODE);
    fsyncSync(journalFd);
    closeSync(journalFd);
    return { journal: new Journal(dir), replayed };
  }

  /** Appends and fsyncs; returns only when the events are on disk. */
  append(events: readonly Event[]): void {
    if (events.length === 0) return;
    const buf = Buffer.concat(events.map((e) => Buffer.from(BSON.serialize(eventToDoc(e)))));
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off);
    fsyncSync(this.fd);
  }

  /** Rewrites the snapshot from the store and empties the journal (compaction). */
  compact(store: Store): void {
    writeSnapshot(this.dir, store);
    ftruncateSync(this.fd, 0);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

function eventToDoc(e: Event): Document {
  switch (e.kind) {
    case "doc":
      return { k: "doc", db: e.change.db, c: e.change.coll, id: { v: e.change.id }, d: e.change.doc };
    case "index":
      return { k: "index", db: e.db, c: e.coll, s: e.spec };
    case "dropIndex":
      return { k: "dropIndex", db: e.db, c: e.coll, n: e.name };
    case "create":
      return { k: "create", db: e.db, c: e.coll };
    case "dropCollection":
      return { k: "dropCollection", db: e.db, c: e.coll };
    case "dropDatabase":
      return { k: "dropDatabase", db: e.db };
  }
}

function readEvents(buf: Buffer): { events: Document[]; goodBytes: number; total: number } {
  const events: Document[] = [];
  let pos = 0;
  while (pos + 4 <= buf.length) {
    const size = buf.readInt32LE(pos);
    if (size < 5 || pos + size > buf.length) break;
    try {
      // The fast decoder (equal to js-bson by property test, falling back to it for anything unusual).
      events.push(decodeDocument(buf, pos, size));
    } catch {
      break;
    }
    pos += size;
  }
  return { events, goodBytes: pos, total: buf.length };
}

function applyEvent(store: Store, e: Document): void {
  switch (e.k) {
    case "doc": {
      const coll = store.collection(e.db, e.c, true)!;
      const key = valueKey(e.id.v);
      if (e.d === null) coll.remove(key);
      else if (coll.get(key)) coll.replace(key, e.d);
      else coll.insert(e.d);
      break;
    }
    case "index":
      store.collection(e.db, e.c, true)!.addIndex(e.s);
      break;
    case "dropIndex":
      store.collection(e.db, e.c, false)?.dropIndex(e.n);
      break;
    case "create":
      store.collection(e.db, e.c, true);
      break;
    case "dropCollection":
      store.dropCollection(e.db, e.c);
      break;
    case "dropDatabase":
      store.dropDatabase(e.db);
      break;
  }
}

function writeSnapshot(dir: string, store: Store): void {
  const tmp = join(dir, "snapshot.bson.tmp");
  const fd = openSync(tmp, "w", FILE_MODE);
  const out: Buffer[] = [];
  let pending = 0;
  const flush = () => {
    const b = Buffer.concat(out);
    let off = 0;
    while (off < b.length) off += writeSync(fd, b, off);
    out.length = 0;
    pending = 0;
  };
  const push = (d: Document) => {
    const b = Buffer.from(BSON.serialize(d));
    out.push(b);
    pending += b.length;
    if (pending > 8 * 1024 * 1024) flush();
  };
  for (const [db, colls] of store.databases) {
    for (const [name, coll] of colls) {
      push({ k: "create", db, c: name });
      for (const spec of coll.indexes.slice(1)) push({ k: "index", db, c: name, s: spec });
      for (const doc of coll.docs.values()) push({ k: "doc", db, c: name, id: { v: doc._id }, d: doc });
    }
  }
  flush();
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, join(dir, "snapshot.bson"));
}
