import { defineConfig } from "vitest/config";

// Workspace packages resolve to their TypeScript sources in tests (their `tally-source` export
// condition); builds and installed packages use the compiled `dist/`.
const conditions = ["tally-source", "import", "module", "node", "default"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["tally-source"] } },
  test: {
    include: ["server/src/**/*.spec.ts", "sdk/src/**/*.spec.ts", "test/**/*.test.ts"],
    // The browser lane needs Chromium: `npm run test:browser` (CI runs it after installing Chromium).
    exclude: ["test/browser/**", "**/node_modules/**"],
    // Each file starts its own embedded database and server on ephemeral ports.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default"],
    // The embedded engine as strict as a real mongod, and stricter where MongoDB leaves things
    // unspecified: `$group` output shuffled and `$sort` ties broken at random (a test that passes
    // only in insertion order is relying on luck), and no silent hand-over of a pipeline to mingo.
    env: { TALLY_ENGINE_SHUFFLE: "1", TALLY_ENGINE_STRICT: "1" },
  },
});
