import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startTestServer, type TestServer } from "../helpers/server.js";

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, "../..");

let s: TestServer;
let page: Server;
let pageUrl: string;
let browser: Browser;

beforeAll(async () => {
  // The browser entry as a page would ship it: the built package (`@tally/sdk/web.js` → dist), bundled.
  await run("npm", ["run", "build", "-w", "sdk", "--silent"], { cwd: repo });
  const bundle = await build({
    stdin: {
      contents: 'import { createTallyClient } from "@tally/sdk/web.js"; window.createTallyClient = createTallyClient;',
      resolveDir: repo,
      loader: "ts",
    },
    bundle: true,
    format: "iife",
    platform: "browser",
    write: false,
  });
  const script = bundle.outputFiles[0]!.text;
  const port = await freePort();
  pageUrl = `http://127.0.0.1:${port}`;
  s = await startTestServer({ CORS_ALLOWED_ORIGINS: pageUrl });
  page = createServer((req, res) => {
    if (req.url === "/sdk.js") return void res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    res
      .writeHead(200, { "content-type": "text/html" })
      .end('<!doctype html><title>dashboard</title><script src="/sdk.js"></script>');
  });
  await new Promise<void>((r) => page.listen(port, "127.0.0.1", r));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => page?.close(r));
  await s?.stop();
});

describe("@tally/sdk/web.js in headless Chromium", () => {
  it("a page on another origin calls Tally over Connect and gRPC-Web (CORS, token fetch, typed answers)", async () => {
    const tab = await browser.newPage();
    await tab.goto(pageUrl);
    const result = await tab.evaluate(
      async ({ baseUrl, clientId, clientSecret }) => {
        const out: Record<string, unknown> = {};
        for (const transport of ["connect", "grpc-web"]) {
          const tally = (
            window as unknown as {
              createTallyClient: (o: unknown) => {
                metrics: { listMetricsTypes(r: object): Promise<{ count: bigint; results: { name: string }[] }> };
              };
            }
          ).createTallyClient({ baseUrl, clientId, clientSecret, transport });
          const res = await tally.metrics.listMetricsTypes({});
          out[transport] = {
            count: String(res.count),
            first: res.results[0]?.name,
            ua: navigator.userAgent.includes("Chrome"),
          };
        }
        return out;
      },
      { baseUrl: s.url, clientId: s.admin.clientId, clientSecret: s.admin.clientSecret },
    );
    expect(result).toEqual({
      connect: { count: "3", first: "job-types", ua: true },
      "grpc-web": { count: "3", first: "job-types", ua: true },
    });
  });

  it("a page from an origin that is not allowed is refused by the browser itself", async () => {
    const other = await createServerOn(await freePort());
    try {
      const tab = await browser.newPage();
      await tab.goto(other.url);
      const error = await tab.evaluate(async (baseUrl) => {
        try {
          await fetch(`${baseUrl}/v6/metrics/`, { headers: { authorization: "Bearer x" } });
          return "answered";
        } catch (e) {
          return (e as Error).name;
        }
      }, s.url);
      expect(error).toBe("TypeError"); // CORS failure
    } finally {
      await other.close();
    }
  });
});

async function createServerOn(port: number): Promise<{ url: string; close(): Promise<void> }> {
  const srv = createServer((_req, res) =>
    res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>other</title>"),
  );
  await new Promise<void>((r) => srv.listen(port, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => srv.close(() => r())) };
}
