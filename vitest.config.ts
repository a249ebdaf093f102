import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["server/src/**/*.spec.ts", "sdk/src/**/*.spec.ts", "test/**/*.test.ts"],
    // Each file starts its own embedded database and server on ephemeral ports.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default"],
  },
});
