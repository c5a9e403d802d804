// Prints the test runner's own counts from its JSON report (vitest's, as jest writes it): "N passed, N failed".
// A test file that fails to load (a top-level await that throws) reports no failed test, only a failed suite:
// it counts as one failure and is named on stderr, or its tests would vanish from the line.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const unloaded = report.testResults.filter(
  (suite) => suite.status === 'failed' && !suite.assertionResults.some((test) => test.status === 'failed'),
);
for (const suite of unloaded) console.error(`${suite.name}: failed to load: ${suite.message}`);
const skipped = report.numPendingTests + report.numTodoTests;
const failed = report.numFailedTests + unloaded.length;
console.log(`${report.numPassedTests} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
