// The `nabla` command: derivatives three ways (symbolic, automatic, numerical), gradients, Hessians, plots.
import { createRequire } from "node:module";
import { Command, InvalidArgumentError } from "commander";
import { NablaError } from "../core/errors.js";
import { MAX_DERIVATIVE_ORDER, parse } from "../symbolic/expr.js";
import { plot } from "./plot.js";
import { parsePoint } from "./point.js";
import {
  checkOrder,
  chooseVariable,
  type DiffReport,
  diffReport,
  gradReport,
  hessianReport,
} from "./report.js";
import { bold, cyan, dim, fmt, fmtErr, green, red, table } from "./style.js";

const intOption = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer, got "${v}"`);
  return n;
};
const numOption = (name: string) => (v: string) => {
  const n = v === "pi" ? Math.PI : v === "-pi" ? -Math.PI : Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got "${v}"`);
  return n;
};

/** JSON with ±Infinity and NaN written as strings (JSON has no such numbers; null would read as "missing"). */
const json = (v: unknown): string =>
  JSON.stringify(v, (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? String(x) : x), 2);

const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

function printDiff(r: DiffReport): void {
  const point = Object.entries(r.at)
    .map(([k, v]) => `${k} = ${fmt(v)}`)
    .join(", ");
  out(`${bold("f")} = ${cyan(r.expr)}   at ${point}   ${dim(`(f = ${fmt(r.value)})`)}`);
  out("");
  const rows = [
    ["order", "formula", "symbolic", "autodiff", "finite differences"],
    ...r.orders.map((o) => [
      String(o.order),
      o.formula,
      fmt(o.symbolic),
      fmt(o.ad),
      o.numeric === null ? "n/a (outside the domain)" : `${fmt(o.numeric)} ± ${fmtErr(o.numericError!)}`,
    ]),
  ];
  out(table(rows, (i, c, s) => (i === 0 ? bold(s) : c === 1 ? cyan(s) : c === 3 ? green(s) : s)));
  out("");
  out(dim("symbolic: the formula (traced from the same autodiff program, simplified) evaluated in float64"));
  out(
    dim(
      "finite differences: central differences with Richardson extrapolation and an automatic step, ± its error estimate",
    ),
  );
}

/** The version in package.json (two folders up from both src/cli and dist/cli). */
function packageVersion(): string {
  return (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
}

export function main(argv: readonly string[]): Promise<void> | void {
  const program = new Command();
  program
    .name("nabla")
    .description(
      "Derivatives three ways: symbolic formulas, automatic differentiation and finite differences, side by side.",
    )
    .version(packageVersion(), "-V, --version", "print nabla's version")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ outputError: (s, write) => write(red(s)) });
  program.addHelpText(
    "after",
    `
Examples:
  $ nabla diff "x^4 - 2x^3 + 3x^2 - 4x + 5" --order 3 --at 2
  $ nabla diff "sin(x) exp(-x^2)" --order 2 --at 0.5 --json
  $ nabla grad "x^2 y + sin(y)" --at x=1,y=2
  $ nabla hessian "x^2 y + sin(y)" --at x=1,y=2
  $ nabla plot "x^4 - 2x^3 + 3x^2 - 4x + 5" --order 3 --from -2 --to 4 -o fig.svg
  $ nabla plot "sin(x)" --error --at 1 -o error.png`,
  );

  program
    .command("diff")
    .description(
      "derivatives of orders 1…k: formula, its value, the autodiff value, and finite differences with an error estimate",
    )
    .argument("<expr>", 'a formula, e.g. "x^3 sin(x)"')
    .option("-k, --order <k>", `highest order, at most ${MAX_DERIVATIVE_ORDER}`, intOption("--order"), 1)
    .option("--at <point>", 'where to evaluate: "2", or "x=1,y=2" for several variables')
    .option("--wrt <variable>", "the variable to differentiate (default: x, or the first)")
    .option(
      "--json",
      "print JSON: {expr, variable, at, orders: [{order, formula, latex, symbolic, ad, numeric, numericError}]}",
    )
    .addHelpText(
      "after",
      '\nExamples:\n  $ nabla diff "x^4 - 2x^3 + 3x^2 - 4x + 5" --order 4 --at 2\n  $ nabla diff "x^2 y" --wrt y --at x=3,y=1 --json',
    )
    .action((text: string, o: { order: number; at?: string; wrt?: string; json?: boolean }) => {
      checkOrder(o.order, 1);
      const e = parse(text);
      const at = parsePoint(o.at, e.variables);
      const r = diffReport(text, { order: o.order, at, wrt: chooseVariable(e, o.wrt) });
      if (o.json) {
        out(json({ expr: r.expr, variable: r.variable, at: r.at, orders: r.orders }));
      } else printDiff(r);
    });

  program
    .command("grad")
    .description("the gradient of a formula of several variables: a formula and a value per variable")
    .argument("<expr>", 'a formula, e.g. "x^2 y + sin(y)"')
    .option("--at <point>", 'where to evaluate, e.g. "x=1,y=2" (default: 1 for every variable)')
    .option("--json", "print JSON")
    .addHelpText("after", '\nExample:\n  $ nabla grad "x^2 y + sin(y)" --at x=1,y=2')
    .action((text: string, o: { at?: string; json?: boolean }) => {
      const r = gradReport(text, (vars) => parsePoint(o.at, vars));
      if (o.json) return out(json(r));
      out(
        `${bold("f")} = ${cyan(r.expr)}   at ${Object.entries(r.at)
          .map(([k, v]) => `${k} = ${fmt(v)}`)
          .join(", ")}   ${dim(`(f = ${fmt(r.value)})`)}\n`,
      );
      const rows = [
        ["", "formula", "autodiff", "finite differences"],
        ...r.gradient.map((g) => [
          `∂f/∂${g.variable}`,
          g.formula,
          fmt(g.value),
          g.numeric === null ? "n/a" : `${fmt(g.numeric)} ± ${fmtErr(g.numericError!)}`,
        ]),
      ];
      out(table(rows, (i, c, s) => (i === 0 ? bold(s) : c === 1 ? cyan(s) : c === 2 ? green(s) : s)));
    });

  program
    .command("hessian")
    .description("the Hessian of a formula: second-derivative formulas and their values")
    .argument("<expr>", "a formula")
    .option("--at <point>", 'where to evaluate, e.g. "x=1,y=2" (default: 1 for every variable)')
    .option("--json", "print JSON")
    .addHelpText("after", '\nExample:\n  $ nabla hessian "x^2 y + sin(y)" --at x=1,y=2')
    .action((text: string, o: { at?: string; json?: boolean }) => {
      const r = hessianReport(text, (vars) => parsePoint(o.at, vars));
      if (o.json) return out(json(r));
      out(
        `${bold("f")} = ${cyan(r.expr)}   at ${Object.entries(r.at)
          .map(([k, v]) => `${k} = ${fmt(v)}`)
          .join(", ")}\n`,
      );
      const rows = [
        ["", ...r.variables.map((v) => `∂/∂${v}`)],
        ...r.variables.map((v, i) => [`∂/∂${v}`, ...r.formulas[i]!]),
      ];
      out(bold("formulas"));
      out(table(rows, (i, c, s) => (i === 0 || c === 0 ? bold(s) : cyan(s))));
      out(`\n${bold("values")}`);
      out(
        table(
          [["", ...r.variables], ...r.variables.map((v, i) => [v, ...r.values[i]!.map(fmt)])],
          (i, c, s) => (i === 0 || c === 0 ? bold(s) : green(s)),
        ),
      );
    });

  program
    .command("plot")
    .description(
      "draw a formula and its derivatives on one chart (SVG or PNG), or with --error the finite-difference error curve",
    )
    .argument("<expr>", "a formula")
    .option(
      "-k, --order <k>",
      "highest derivative to draw (with --error: the derivative whose error is drawn)",
      intOption("--order"),
      1,
    )
    .option("--from <x>", "left end of the x range", numOption("--from"), -2)
    .option("--to <x>", "right end of the x range", numOption("--to"), 2)
    .option("--points <n>", "number of sample points", intOption("--points"), 401)
    .option(
      "--at <point>",
      "with --error, or for formulas of several variables: the point (others held fixed)",
    )
    .option("--wrt <variable>", "the variable on the x axis (default: x, or the first)")
    .option(
      "--error",
      "draw |finite difference − autodiff| against the step h on log axes (the V-shaped curve)",
    )
    .option("-o, --output <file>", "output file, .svg or .png", "plot.svg")
    .addHelpText(
      "after",
      '\nExamples:\n  $ nabla plot "x^4 - 2x^3 + 3x^2 - 4x + 5" --order 3 --from -2 --to 4 -o fig.svg\n  $ nabla plot "exp(x)" --error --at 1 -o error.png',
    )
    .action(
      async (
        text: string,
        o: {
          order: number;
          from: number;
          to: number;
          points: number;
          at?: string;
          wrt?: string;
          error?: boolean;
          output: string;
        },
      ) => {
        checkOrder(o.order, 0);
        const e = parse(text);
        if (o.points < 2 || o.points > 100000)
          throw new InvalidArgumentError(`--points ${o.points}: give a number from 2 to 100000`);
        const at = parsePoint(o.at, e.variables);
        const msg = await plot(text, {
          order: Math.max(o.order, o.error ? 1 : 0),
          from: o.from,
          to: o.to,
          points: o.points,
          at,
          wrt: chooseVariable(e, o.wrt),
          output: o.output,
          error: Boolean(o.error),
        });
        out(msg);
      },
    );

  return program.parseAsync([...argv], { from: "user" }).then(() => undefined);
}

function quietOnClosedPipe(e: NodeJS.ErrnoException): void {
  if (e.code !== "EPIPE") throw e;
  process.exit(0);
}

/** Runs the command, turning nabla's errors into a message and exit code 1 instead of a stack trace. */
export async function run(argv: readonly string[]): Promise<void> {
  // `nabla diff ... | head` closes the pipe early; that ends the command quietly, not with a stack trace.
  if (!process.stdout.listeners("error").includes(quietOnClosedPipe))
    process.stdout.on("error", quietOnClosedPipe);
  try {
    await main(argv);
  } catch (err) {
    const msg =
      err instanceof NablaError || err instanceof InvalidArgumentError
        ? err.message
        : `internal error: ${(err as Error)?.stack ?? String(err)}`;
    process.stderr.write(`${red("error:")} ${msg}\n`);
    process.exitCode = 1;
  }
}
