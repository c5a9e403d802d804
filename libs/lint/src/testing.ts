import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../../..');
export const fixturesRoot = resolve(here, '../fixtures');

/**
 * A scratch workspace for a fixture case: the repository's real platform/ with the case's files laid
 * over it, and no project but the case's own. The caller removes it.
 */
export function overlayWorkspace(caseDir: string): string {
  const root = mkdtempSync(join(tmpdir(), 'flyte-gkp-lint-'));
  cpSync(join(repoRoot, 'platform'), join(root, 'platform'), { recursive: true });
  cpSync(caseDir, root, { recursive: true, filter: (from) => basename(from) !== 'expect.yaml' });
  return root;
}
