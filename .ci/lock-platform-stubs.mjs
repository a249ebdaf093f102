// The npm registry reachable from our machines serves only the Linux builds of buf's per-platform
// binaries, so `npm install` cannot record the others in package-lock.json, and `npm ci` then rejects
// the lock ("Missing: @bufbuild/buf-darwin-arm64@ from lock file"). This adds os/cpu-restricted
// optional entries for the absent platforms; npm skips them on Linux and fetches them elsewhere.
// Run after changing dependencies: `npm run lock`.
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const packages = lock.packages;
const platforms = {
  "darwin-arm64": ["darwin", "arm64"],
  "darwin-x64": ["darwin", "x64"],
  "linux-aarch64": ["linux", "arm64"],
  "linux-armv7": ["linux", "arm"],
  "linux-x64": ["linux", "x64"],
  "win32-arm64": ["win32", "arm64"],
  "win32-x64": ["win32", "x64"],
};
const buf = packages["node_modules/@bufbuild/buf"];
let added = 0;
for (const [suffix, [os, cpu]] of Object.entries(platforms)) {
  const key = `node_modules/@bufbuild/buf-${suffix}`;
  if (packages[key]) continue;
  packages[key] = {
    version: buf.version,
    cpu: [cpu],
    dev: true,
    license: "Apache-2.0",
    optional: true,
    os: [os],
    engines: { node: ">=12" },
  };
  added++;
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock-platform-stubs: added ${added} entries`);
