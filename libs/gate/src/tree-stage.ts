import type { Diagnostic } from '@flyte-gkp/diagnostics';
import { stateDirName } from '@flyte-gkp/output';
import type { Platform } from '@flyte-gkp/platform';
import { codeownersPath } from '@flyte-gkp/render';
import { clustersDir, renderCommand } from './drift-stage.js';
import type { RepoTree, TreeEntry } from './read-tree.js';
import { projectsDir } from './workspace.js';

/**
 * Check stage "tree": every entry of the tree is something the gate checks, or a finding. Argo CD reads
 * what git holds, links included (it follows a link inside the repository and matches its include
 * patterns on the link's own path), so the gate never lets one through: a link or a special file is
 * refused wherever it is, an entry under projects/ is a spec or a finding, and clusters/ holds the
 * rendered cluster folders and nothing else. The content of the cluster folders is the drift stage's.
 */
export const treeRules = {
  symlink: {
    id: 'tree/symlink',
    description:
      'No symbolic link under platform/, projects/ or clusters/, ' +
      'nor as .github/CODEOWNERS: Argo CD (GitHub) would follow it where the gate does not.',
  },
  specialFile: {
    id: 'tree/special-file',
    description: 'No FIFO, socket or device file under platform/, projects/ or clusters/.',
  },
  folder: {
    id: 'tree/folder',
    description: 'projects/ holds spec files only: no folder, and no spec in a folder.',
  },
  renderState: {
    id: 'tree/render-state',
    description:
      "A render's own state (clusters/.render/, or an older render's plan or staging) " +
      'is never committed nor applied by the gate.',
  },
  stray: {
    id: 'tree/stray',
    description: 'clusters/ holds one folder per cluster definition and nothing else.',
  },
} as const;

/** Names an interrupted render uses or used (older versions: a plan and staging folders beside the clusters). */
const renderStateName = new RegExp(`^(\\${stateDirName}|\\.staging-|\\.previous-)`);
/** A render's lock and state folder, and the folder another render prepares its lock in. */
const lockName = new RegExp(`^\\${stateDirName}(-lock-.*)?$`);

export interface TreeCheckOptions {
  /** The render holding clusters/.render/ checks the tree: its own state is not a finding. */
  ownsRenderState?: boolean;
}

const top = (path: string) => path.split('/')[0];
const depth = (path: string) => path.split('/').length;

function entryFinding(entry: TreeEntry): Diagnostic | undefined {
  const rendered = top(entry.path) === clustersDir || entry.path === codeownersPath;
  if (entry.type === 'symlink') {
    return {
      file: entry.path,
      rule: treeRules.symlink.id,
      message:
        `a symbolic link (to ${entry.target}): ` + 'Argo CD would read what it points to, which the gate never checks',
      fix: rendered
        ? `delete the link, run \`${renderCommand}\` and commit`
        : 'replace the link with a regular file, or delete it',
    };
  }
  if (entry.type === 'other') {
    return {
      file: entry.path,
      rule: treeRules.specialFile.id,
      message: 'not a regular file (a FIFO, socket or device): git and Argo CD cannot hold it as a file',
      fix: 'delete it',
    };
  }
  return undefined;
}

export function checkTree(tree: RepoTree, platform: Platform, options: TreeCheckOptions = {}): Diagnostic[] {
  const clusterNames = new Set(platform.clusters.map((c) => c.cluster.name));
  const diagnostics: Diagnostic[] = [];
  let skipUnder: string | undefined; // one finding for a folder of render state, not one per file in it
  for (const entry of tree.entries.values()) {
    if (skipUnder && entry.path.startsWith(skipUnder)) continue;
    skipUnder = undefined;
    const name = entry.path.split('/').pop()!;
    if (top(entry.path) === clustersDir && depth(entry.path) === 2 && renderStateName.test(name)) {
      skipUnder = `${entry.path}/`;
      if (options.ownsRenderState && lockName.test(name)) continue;
      diagnostics.push({
        file: entry.path,
        rule: treeRules.renderState.id,
        message:
          "a render's own state: a render is running or was killed here, " +
          'or this was committed; the gate never applies it',
        fix:
          'never commit it; if no render is running, ' +
          `\`${renderCommand}\` finishes or drops a render of this machine, else delete it`,
      });
      continue;
    }
    const finding = entryFinding(entry);
    if (finding) {
      diagnostics.push(finding);
      continue;
    }
    if (
      top(entry.path) === projectsDir &&
      depth(entry.path) >= 2 &&
      (entry.type === 'directory' || depth(entry.path) > 2)
    ) {
      diagnostics.push({
        file: entry.path,
        rule: treeRules.folder.id,
        message:
          entry.type === 'directory'
            ? 'a folder under projects/: specs are read from projects/ itself only'
            : 'in a folder under projects/: never read as a spec',
        fix: `move the spec to ${projectsDir}/<id>.yaml, or the folder out of ${projectsDir}/`,
      });
    }
    if (
      top(entry.path) === clustersDir &&
      depth(entry.path) === 2 &&
      !(entry.type === 'directory' && /^[^.]/.test(name))
    ) {
      diagnostics.push({
        file: entry.path,
        rule: treeRules.stray.id,
        message: `not a cluster folder: nothing renders it${clusterNames.has(name) ? ' as a file' : ''}`,
        fix:
          `delete it: ${clustersDir}/ holds one folder per platform/clusters/<name>.yaml, ` +
          `written by \`${renderCommand}\``,
      });
    }
  }
  return diagnostics;
}
