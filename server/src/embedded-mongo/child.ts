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
  const self = fileURLToPath(import.meta.url);
  const ts = self.endsWith(".ts");
  const entry = join(dirname(self), ts ? "child-main.ts" : "child-main.js");
  // Under tsx (development, tests) the child loads TypeScript through tsx's loader; builds run .js.
  const execArgv = [`--max-old-space-size=${opts.maxHeapMb}`, ...(ts ? ["--import", tsxLoaderUrl()] : [])];
  const { onServing, maxHeapMb: _cap, ...serverOpts } = opts;
  let port = opts.port ?? 0;
  let restarts = 0;
  let replayed = 0;
  let stopping = false;
  let current: ChildProcess;
  let memory: { rss: number; heapUsed: number } | undefined;

  const spawn = () =>
    new Promise<ChildProcess>((resolve, reject) => {
      const child = fork(entry, [], {
        execArgv,
        env: { ...process.env, TALLY_EMBEDDED_OPTIONS: JSON.stringify({ ...serverOpts, port }) },
        stdio: ["ignore", "ignore", "pipe", "ipc"],
      });
      let stderr = "";
      child.stderr!.on("data", (d: Buffer) => {
        stderr = (stderr + d.toString("utf8")).slice(-2000);
      });
      let ready = false;
      child.on("message", (m: { type: string; port?: number; replayed?: number; rss?: number; heapUsed?: number }) => {
        if (m.type === "memory") memory = { rss: m.rss ?? 0, heapUsed: m.heapUsed ?? 0 };
        if (m.type !== "ready") return;
        ready = true;
        port = m.port!;
        replayed = m.replayed ?? 0;
        resolve(child);
      });
      child.on("error", (e) => {
        if (!ready) reject(e);
      });
      child.on("exit", (code, signal) => {
        if (!ready) {
          reject(
            new Error(
              `embedded database exited at start (${signal ?? code}): ${stderr.trim().split("\n").slice(-3).join(" ")}`,
            ),
          );
          return;
        }
        if (stopping || child !== current) return;
        restarts++;
        const reason = /heap out of memory/.test(stderr) ? "out of memory" : `exit ${signal ?? code}`;
        onServing?.(false, { reason, restarts });
        void restart();
      });
    });

  const restart = async () => {
    for (let attempt = 0; !stopping; attempt++) {
      await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** attempt)));
      if (stopping) return;
      try {
        current = await spawn();
        onServing?.(true, { restarts });
        return;
      } catch {
        // again after the next back-off
      }
    }
  };

  current = await spawn();
  const host = opts.host ?? "127.0.0.1";
  return {
    get uri() {
      return `mongodb://${host}:${port}`;
    },
    get port() {
      return port;
    },
    dataDir: opts.dataDir,
    get replayed() {
      return replayed;
    },
    get restarts() {
      return restarts;
    },
    get pid() {
      return current.pid;
    },
    memory() {
      return memory;
    },
    async stop() {
      stopping = true;
      const child = current;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.send({ type: "stop" });
      // A process busy in a long command gets a while to finish, then is killed (the journal holds
      // every acknowledged write).
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The URL of tsx's ESM loader (its package's `.` export). */
function tsxLoaderUrl(): string {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve("tsx/package.json");
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { exports: Record<string, string> };
  return pathToFileURL(join(dirname(pkgPath), pkg.exports["."]!)).href;
}
