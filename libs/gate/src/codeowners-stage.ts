import { join } from 'node:path';
import type { Diagnostic } from '@flyte-gkp/diagnostics';
import { codeOf, unifiedDiff, WriteFault, writeAside } from '@flyte-gkp/output';
import type { Platform } from '@flyte-gkp/platform';
import { codeownersPath, platformTeams } from '@flyte-gkp/render';
import { renderCommand } from './drift-stage.js';
import { textOf, type RepoTree } from './read-tree.js';

/**
 * Check stage "codeowners": `.github/CODEOWNERS` is exactly its render, like clusters/ (a link there is the
 * tree stage's finding), and names a platform team: without one, every file would have no owner and a
 * pull request would need nobody's review.
 */
export const codeownersRules = {
  platformTeam: {
    id: 'codeowners/platform-team',
    description:
      'Some cluster file names the platform team (repo.platformTeam): ' +
      'the default owner of every file in .github/CODEOWNERS.',
  },
} as const;

/** The committed CODEOWNERS' text; undefined when there is none, or a link or anything but a file. */
export const committedCodeowners = (tree: RepoTree): string | undefined =>
  tree.entries.get(codeownersPath)?.type === 'file' ? textOf(tree, codeownersPath) : undefined;

export function checkCodeowners(tree: RepoTree, platform: Platform, rendered: string): Diagnostic[] {
  if (platformTeams(platform.clusters).length === 0) {
    const [first] = platform.clusters;
    return [
      {
        file: first.source.file,
        ...first.source.locate(['repo'], 'key'),
        rule: codeownersRules.platformTeam.id,
        message: `no cluster file names the platform team: ${codeownersPath} would leave every file without an owner`,
        fix: 'add `platformTeam: "@org/team"` (the platform team on GitHub) under `repo:`',
      },
    ];
  }
  const entry = tree.entries.get(codeownersPath);
  if (entry !== undefined && entry.type !== 'file') return []; // the tree stage reports it
  const committed = committedCodeowners(tree);
  if (committed === rendered) return [];
  return [
    {
      file: codeownersPath,
      rule: 'drift',
      message:
        committed === undefined
          ? 'missing: the review rule rendered from the specs is not committed'
          : 'differs from a fresh render (edited by hand, or not rendered again after a change of reviewers)',
      fix: `run \`${renderCommand}\` and commit ${codeownersPath}`,
      detail: unifiedDiff(codeownersPath, committed, rendered),
    },
  ];
}

/** CODEOWNERS written aside, put in place by `commit` (one rename) right after the cluster folders. */
export interface StagedCodeowners {
  changed: boolean;
  commit(): Promise<void>;
  drop(): Promise<void>;
}

const unchanged = () => Promise.resolve();

/** Writes the new CODEOWNERS beside the old one when it differs: a failed write leaves everything as it was. */
export async function stageCodeowners(
  root: string,
  rendered: string,
  committed: string | undefined,
): Promise<StagedCodeowners> {
  if (committed === rendered) return { changed: false, commit: unchanged, drop: unchanged };
  const aside = await writeAside(join(root, codeownersPath), rendered).catch((error: unknown) => {
    throw new WriteFault(codeownersPath, 'stage', codeOf(error), 'untouched');
  });
  return {
    changed: true,
    // After the cluster folders: they are in place, and the next render writes CODEOWNERS again.
    commit: () =>
      aside.commit().catch((error: unknown) => {
        throw new WriteFault(codeownersPath, 'in', codeOf(error), 'committed');
      }),
    drop: aside.drop,
  };
}
