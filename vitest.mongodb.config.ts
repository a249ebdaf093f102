import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

// The real-MongoDB lane: `MONGODB_URI=mongodb://… npm run test:mongodb` runs the API suites against a
// MongoDB (≥ 7.0) you provide, each test server in a database of its own (dropped afterwards).
// Without MONGODB_URI it runs nothing and says so.
const uri = process.env.MONGODB_URI;
if (!uri) console.log("test:mongodb: MONGODB_URI is not set, so the real-MongoDB lane is skipped.");

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    // Replaced, not merged with the main suite's list.
    include: uri
      ? ["test/{jobs,records,metrics,delivery-stats,telemetry,fidelity}/**/*.test.ts", "test/scale/api-*.test.ts"]
      : [],
    passWithNoTests: true,
    env: { TALLY_TEST_MONGODB_URI: uri ?? "" },
    // A remote database is slower than the embedded one.
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
