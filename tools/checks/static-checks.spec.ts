import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@flyte-gkp/testing';

// The type check, the format check and the linter run as tests, so `npm test` (and .ci/run's count) covers
// them: each failure lists the files it found and the command that fixes them.

const run = promisify(execFile);
// ESLint's type-aware rules take over a minute of CPU on this workspace; with the other suites beside it, more.
const checkTimeout = 600_000;

interface CheckRun {
  code: number;
  output: string;
}

async function check(tool: string, args: string[]): Promise<CheckRun> {
  try {
    const { stdout, stderr } = await run(join(repoRoot, 'node_modules/.bin', tool), args, {
      cwd: repoRoot,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, output: `${failed.stdout}${failed.stderr}` };
  }
}

/** The message a failed check shows: what the tool said, then how to fix it. */
const failure = (what: string, result: CheckRun, fix: string) =>
  result.code === 0 ? '' : `${what}:\n${result.output.trim()}\nfix: ${fix}`;

describe('static checks of the workspace', () => {
  it(
    'type-checks (tsc --noEmit)',
    async () => {
      const result = await check('tsc', ['--noEmit', '-p', 'tsconfig.json']);
      expect(
        failure(
          'tsc --noEmit found type errors (file(line,column): error)',
          result,
          'correct the types at those lines',
        ),
      ).toBe('');
    },
    checkTimeout,
  );

  it(
    'is formatted as Prettier writes it',
    async () => {
      const result = await check('prettier', ['--check', '--log-level', 'warn', '.']);
      expect(failure('these files are not formatted as Prettier writes them', result, 'npm run format')).toBe('');
    },
    checkTimeout,
  );

  it(
    'passes the linter with no warning',
    async () => {
      const result = await check('eslint', ['--max-warnings', '0', '.']);
      expect(
        failure(
          'ESLint found problems (file, then line:column, rule)',
          result,
          'npm run lint -- --fix, then the rest by hand',
        ),
      ).toBe('');
    },
    checkTimeout,
  );
});
