import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // One file at a time: CPU measurements and end-to-end runs must not compete
    // with other test files on a 2-core machine.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default"],
    // Starts our own dockerd when a file under test/integration/ is in the run.
    globalSetup: ["test/integration/global-setup.ts"],
  },
});
