/**
 * Prints, after the default reporter, how many tests each project ran and one plain closing
 * line "N passed, N failed, N skipped" that CI tooling reads.
 */
import type { Reporter } from 'vitest/reporters';
import type { RunnerTask, RunnerTestFile } from 'vitest';

type Counts = { passed: number; failed: number; skipped: number };

function count(task: RunnerTask, into: Counts): void {
  if (task.type === 'suite') {
    for (const child of task.tasks) count(child, into);
    return;
  }
  const state = task.result?.state;
  if (state === 'pass') into.passed += 1;
  else if (state === 'fail') into.failed += 1;
  else into.skipped += 1;
}

export default class SummaryReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = []): void {
    const byProject = new Map<string, Counts>();
    const total: Counts = { passed: 0, failed: 0, skipped: 0 };
    for (const file of files) {
      const name = file.projectName || 'default';
      const counts = byProject.get(name) ?? { passed: 0, failed: 0, skipped: 0 };
      byProject.set(name, counts);
      const before = { ...counts };
      for (const task of file.tasks) count(task, counts);
      if (file.result?.state === 'fail' && counts.failed === before.failed) counts.failed += 1; // a file that failed to load
      total.passed += counts.passed - before.passed;
      total.failed += counts.failed - before.failed;
      total.skipped += counts.skipped - before.skipped;
    }
    const lines = [...byProject].sort().map(([name, c]) => `  ${name}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
    process.stdout.write(`\ntests by project:\n${lines.join('\n')}\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`);
  }
}
