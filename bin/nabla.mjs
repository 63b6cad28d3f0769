#!/usr/bin/env node
// The `nabla` command. Runs the built CLI (dist/); in a source checkout without a build, runs the
// TypeScript sources through tsx.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const built = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
let cli;
if (existsSync(built)) cli = await import(built);
else {
  const { tsImport } = await import("tsx/esm/api");
  cli = await tsImport("../src/cli/main.ts", import.meta.url);
}
await cli.run(process.argv.slice(2));
