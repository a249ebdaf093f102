import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

// `npm run test:browser`: the browser lane (real headless Chromium, Debian's `chromium` package).
export default defineConfig({
  ...base,
  test: { ...base.test, include: ["test/browser/**/*.test.ts"], exclude: ["**/node_modules/**"] },
});
