import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startTestServer, type TestServer } from "../helpers/server.js";

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, "../..");

/** Whether something accepts connections on the port. */
const listening = (port: number) =>
  new Promise<boolean>((res) => {
    const c = connect(port, "127.0.0.1", () => {
      c.destroy();
      res(true);
    });
    c.on("error", () => res(false));
  });

describe("a deployable server", () => {
  it("npm start runs the compiled server; SIGTERM to the npm process stops it and frees the port", async () => {
    const port = await freePort();
    const npm = spawn("npm", ["start", "--silent"], {
      cwd: repo,
      env: {
        ...process.env,
        PORT: String(port),
        TALLY_DEMO: "off",
        TALLY_DATA_DIR: join(mkdtempSync(join(tmpdir(), "tally-start-")), "data"),
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>((res) => npm.once("exit", (code) => res(code)));
    await new Promise<void>((res, rej) => {
      let out = "";
      npm.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("client_secret=")) res();
      });
      void exited.then(() => rej(new Error(`npm start exited early: ${out}`)));
    });
    try {
      let up = false;
      for (let i = 0; i < 100 && !up; i++) {
        up = await listening(port);
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      expect(up).toBe(true);
      const { stdout } = await run("ps", ["-o", "args=", "--ppid", String(npm.pid)]);
      expect(stdout).toMatch(/node .*server\/dist\/main\.js/); // plain node on the compiled server, no tsx
    } finally {
      npm.kill("SIGTERM");
      await exited;
    }
    let open = true;
    for (let i = 0; i < 50 && open; i++) {
      open = await listening(port);
      if (open) await new Promise((r) => setTimeout(r, 100));
    }
    expect(open).toBe(false);
  }, 120_000);
});

describe("a publishable SDK", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("npm pack gives a tarball that works from plain Node and type-checks from TypeScript in an empty project", async () => {
    await run("npm", ["run", "build", "-w", "sdk", "--silent"], { cwd: repo });
    const packDir = mkdtempSync(join(tmpdir(), "tally-pack-"));
    await run("npm", ["pack", "--pack-destination", packDir, "-w", "sdk", "--silent"], { cwd: repo });
    const tarball = join(packDir, readdirSync(packDir).find((f) => f.endsWith(".tgz"))!);
    const app = mkdtempSync(join(tmpdir(), "tally-app-"));
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    await run(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        tarball,
        `typescript@${(await import("typescript")).version}`,
        "@types/node@20",
      ],
      { cwd: app },
    );
    writeFileSync(
      join(app, "app.mjs"),
      `import { createTallyClient } from "@tally/sdk";
const tally = createTallyClient({ baseUrl: process.env.URL, clientId: process.env.ID, clientSecret: process.env.SECRET });
const res = await tally.metrics.listMetricsTypes({});
console.log(JSON.stringify({ count: Number(res.count) }));`,
    );
    const { stdout } = await run(process.execPath, ["app.mjs"], {
      cwd: app,
      env: { ...process.env, URL: s.url, ID: s.admin.clientId, SECRET: s.admin.clientSecret },
    });
    expect(JSON.parse(stdout)).toEqual({ count: 3 });
    writeFileSync(
      join(app, "app.ts"),
      `import { createTallyClient, isNotFound, jobs } from "@tally/sdk";
const tally = createTallyClient({ baseUrl: "http://x", clientId: "a", clientSecret: "b" });
export async function main(): Promise<bigint> {
  const r: jobs.AggregateJobsResponse = await tally.jobs.aggregateJobs({ application: "atr" });
  return r.data?.total ?? (isNotFound(new Error()) ? 0n : 1n);
}`,
    );
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          noEmit: true,
          skipLibCheck: false,
          lib: ["ES2023", "DOM"],
          types: ["node"],
        },
        files: ["app.ts"],
      }),
    );
    await run(join(app, "node_modules/.bin/tsc"), ["-p", "."], { cwd: app });
    const version = await run(join(app, "node_modules/.bin/tally"), ["--version"], { cwd: app });
    expect(version.stdout.trim()).toMatch(/^tally \d+\.\d+\.\d+$/);
    const help = await run(join(app, "node_modules/.bin/tally"), ["--help"], { cwd: app });
    expect(help.stdout).toContain("tally ingest");
  }, 180_000);
});
