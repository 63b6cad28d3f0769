import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import SummaryReporter from "./test/util/summary-reporter.js";

export default defineConfig({
  resolve: {
    alias: {
      nabla: fileURLToPath(new URL("./src/index.ts", import.meta.url)),
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60000,
    reporters: ["default", new SummaryReporter()],
  },
});
