import { fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { EmbeddedMongo, EmbeddedMongoOptions } from "./server.js";

/** Options of the embedded database's own process. */
export interface EmbeddedMongoProcessOptions extends EmbeddedMongoOptions {
  /** V8 heap cap of the database process: a runaway command ends that process, never the API. */
  readonly maxHeapMb: number;
  /** Called with false when the process dies and with true once its restart serves again. */
  readonly onServing?: (serving: boolean, detail: { reason?: string; restarts: number }) => void;
}

/** The embedded database in its own process, restarted from its journal if that process dies. */
export interface EmbeddedMongoProcess extends EmbeddedMongo {
  /** Times the process died and was started again. */
  readonly restarts: number;
  /** The database process's id (for operators and fault tests). */
  readonly pid: number | undefined;
  /** Its latest memory figures (reported every few seconds), if any yet. */
  memory(): { rss: number; heapUsed: number } | undefined;
}

/**
 * Starts the embedded database as a child process, so no command can stall the API's event loop and
 * a command that exhausts the heap ends that process, never the API (a worker thread's heap cap is
 * not enough: V8 aborts the whole process on some allocation failures). When the child dies
 * unexpectedly, `onServing(false)` is called and it is started again on the same port from its
 * journal, backing off up to 5 s between attempts; the driver reconnects by itself.
 */
export async function startEmbeddedMongoProcess(opts: EmbeddedMongoProcessOptions): Promise<EmbeddedMongoProcess> {
  const db = new ChildDatabase(opts);
  await db.start();
  return db;
}

/** A message from the database process: ready (with its port), or its memory figures. */
interface ChildMessage {
  type: string;
  port?: number;
  replayed?: number;
  rss?: number;
  heapUsed?: number;
}

/** The parent's handle on the database process: starts it, restarts it when it dies, stops it. */
class ChildDatabase implements EmbeddedMongoProcess {
  readonly dataDir: string | undefined;
  port: number;
  replayed = 0;
  restarts = 0;
  private readonly entry: string;
  private readonly execArgv: string[];
  private readonly serverOpts: EmbeddedMongoOptions;
  private readonly host: string;
  private stopping = false;
  private current: ChildProcess | undefined;
  private lastMemory: { rss: number; heapUsed: number } | undefined;

  constructor(private readonly opts: EmbeddedMongoProcessOptions) {
    const self = fileURLToPath(import.meta.url);
    const ts = self.endsWith(".ts");
    this.entry = join(dirname(self), ts ? "child-main.ts" : "child-main.js");
    // Under tsx (development, tests) the child loads TypeScript through tsx's loader; builds run .js.
    this.execArgv = [`--max-old-space-size=${opts.maxHeapMb}`, ...(ts ? ["--import", tsxLoaderUrl()] : [])];
    const { onServing: _onServing, maxHeapMb: _cap, ...serverOpts } = opts;
    this.serverOpts = serverOpts;
    this.port = opts.port ?? 0;
    this.host = opts.host ?? "127.0.0.1";
    this.dataDir = opts.dataDir;
  }

  get uri(): string {
    return `mongodb://${this.host}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.current?.pid;
  }

  memory(): { rss: number; heapUsed: number } | undefined {
    return this.lastMemory;
  }

  async start(): Promise<void> {
    this.current = await this.spawn();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.current;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.send({ type: "stop" });
    // A process busy in a long command gets a while to finish, then is killed (the journal holds
    // every acknowledged write).
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    await exited;
    clearTimeout(timer);
  }

  /** Forks the process; resolves once it serves, rejects if it dies first (with its last stderr lines). */
  private spawn(): Promise<ChildProcess> {
    return new Promise<ChildProcess>((resolve, reject) => {
      const child = fork(this.entry, [], {
        execArgv: this.execArgv,
        env: { ...process.env, TALLY_EMBEDDED_OPTIONS: JSON.stringify({ ...this.serverOpts, port: this.port }) },
        stdio: ["ignore", "ignore", "pipe", "ipc"],
      });
      let stderr = "";
      child.stderr!.on("data", (d: Buffer) => {
        stderr = (stderr + d.toString("utf8")).slice(-2000);
      });
      let ready = false;
      child.on("message", (m: ChildMessage) => {
        if (m.type === "memory") this.lastMemory = { rss: m.rss ?? 0, heapUsed: m.heapUsed ?? 0 };
        if (m.type !== "ready") return;
        ready = true;
        this.port = m.port!;
        this.replayed = m.replayed ?? 0;
        resolve(child);
      });
      child.on("error", (e) => {
        if (!ready) reject(e);
      });
      child.on("exit", (code, signal) => {
        if (!ready) {
          const last = stderr.trim().split("\n").slice(-3).join(" ");
          reject(new Error(`embedded database exited at start (${signal ?? code}): ${last}`));
        } else if (!this.stopping && child === this.current) this.died(/heap out of memory/.test(stderr), code, signal);
      });
    });
  }

  private died(outOfMemory: boolean, code: number | null, signal: NodeJS.Signals | null): void {
    this.restarts++;
    const reason = outOfMemory ? "out of memory" : `exit ${signal ?? code}`;
    this.opts.onServing?.(false, { reason, restarts: this.restarts });
    void this.restart();
  }

  /** Starts the process again on the same port, backing off up to 5 s between attempts. */
  private async restart(): Promise<void> {
    for (let attempt = 0; !this.stopping; attempt++) {
      await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** attempt)));
      if (this.stopping) return;
      try {
        this.current = await this.spawn();
        this.opts.onServing?.(true, { restarts: this.restarts });
        return;
      } catch {
        // again after the next back-off
      }
    }
  }
}

/** The URL of tsx's ESM loader (its package's `.` export). */
function tsxLoaderUrl(): string {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve("tsx/package.json");
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { exports: Record<string, string> };
  return pathToFileURL(join(dirname(pkgPath), pkg.exports["."]!)).href;
}
