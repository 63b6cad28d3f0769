import type { Reporter, SerializedError, TestModule, TestRunEndReason } from "vitest/node";

/**
 * Prints a plain `N passed, N failed[, N skipped]` line as the very last line of a run, for CI.
 *
 * Test files that fail to load (syntax errors, failing imports) and unhandled errors are counted as
 * failures too, so the line never says "0 failed" for a run that failed.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    _reason: TestRunEndReason,
  ): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      let moduleFailed = 0;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") moduleFailed++;
        else if (state === "skipped") skipped++;
      }
      // A module that errored outside of its tests (at import time, in a beforeAll) counts as a failure,
      // and so does every suite whose hooks failed (its tests are then reported as skipped).
      if (moduleFailed === 0 && mod.errors().length > 0) moduleFailed = 1;
      for (const suite of mod.children.allSuites())
        if (suite.state() === "failed" && moduleFailed === 0) moduleFailed = 1;
      failed += moduleFailed;
    }
    failed += unhandledErrors.length;
    let line = `${passed} passed, ${failed} failed`;
    if (skipped > 0) line += `, ${skipped} skipped`;
    process.stdout.write(`\n${line}\n`);
  }
}
