#!/usr/bin/env node
// The `nabla` command. Runs the built CLI (dist/cli/main.js), which every installed package has; in a source
// checkout without a build it runs the TypeScript sources through tsx (a dev dependency) instead.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);

// Answered here, before the CLI and the library load.
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  process.stdout.write(`${pkg.version}\n`);
  process.exit(0);
}

const built = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
let cli;
if (existsSync(built)) cli = await import(built);
else {
  let api;
  try {
    api = import.meta.resolve("tsx/esm/api");
  } catch {
    // not a source checkout with its dev dependencies
  }
  if (api === undefined) {
    const root = fileURLToPath(new URL("..", import.meta.url));
    process.stderr.write(
      `nabla: the command is not built (${built} is missing).\n` +
        `In a source checkout, run \`npm install\` (the sources then run through tsx) or \`npm run build\` in ${root}.\n` +
        "An installed package always has it: reinstall nabla.\n",
    );
    process.exit(1);
  }
  const { tsImport } = await import(api);
  cli = await tsImport("../src/cli/main.ts", import.meta.url);
}
await cli.run(args);
