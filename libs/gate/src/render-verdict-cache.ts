import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toolchainKey } from '@flyte-gkp/kubeconform';
import { kustomizeSettings } from '@flyte-gkp/kustomize';
import { stateDirName, writeFileAtomically } from '@flyte-gkp/output';
import type { Platform } from '@flyte-gkp/platform';
import { binaryStamp, digest, prune } from './chart-verdict-cache.js';
import { clusterToolchainSettings } from './kubeconform-stage.js';
import { clustersDir } from './drift-stage.js';
import type { RepoTree } from './read-tree.js';

/**
 * Render's own verdict, as the chart stage and kubeconform keep theirs: a render that passed every check
 * and found nothing to change is remembered by its whole input, and a render that finds the same input
 * again has nothing to check or write. The input is everything such a render reads: every entry under
 * platform/, projects/, clusters/ and .github/CODEOWNERS (path, type, link target, the bytes of each file;
 * render's own lock aside), the code (the CLI bundle's bytes: none when the sources run, as in the tests),
 * and the installed tools (kubeconform and its schemas, kustomize, helm, the charts, by their install
 * stamps). Only such passes are kept; validate and CI never read them.
 */
export interface RenderVerdict {
  /** What the render that passed with this input checked and wrote, if one did. */
  readonly known: KnownPass | undefined;
  /** Keeps a pass that changed nothing, under this input. */
  rememberPass(pass: KnownPass): Promise<void>;
}

export interface KnownPass {
  checkedFiles: string[];
  written: string[];
}

/** A few inputs: each change of a checkout that passed is one. */
const maxEntries = 20;

const isKnownPass = (value: unknown): value is KnownPass =>
  typeof value === 'object' &&
  value !== null &&
  ['checkedFiles', 'written'].every((key) => {
    const list = (value as Record<string, unknown>)[key];
    return Array.isArray(list) && list.every((item) => typeof item === 'string');
  });

/** The install stamps of the charts setup put under .tools/charts/. */
function chartStamps(root: string): string[] {
  const dir = join(root, '.tools/charts');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.stamp'))
    .sort()
    .map((name) => `${name}:${readFileSync(join(dir, name), 'utf8')}`);
}

/** The verdict of this input; undefined when no code or no tool can be named (nothing is then kept). */
export function openRenderVerdict(
  root: string,
  platform: Platform,
  tree: RepoTree,
  code: string | undefined,
): RenderVerdict | undefined {
  if (code === undefined) return undefined;
  const kustomize = kustomizeSettings(root);
  const tools = [
    binaryStamp(kustomize.binary),
    binaryStamp(kustomize.helmBinary),
    ...platform.clusters.map(({ cluster }) => toolchainKey(clusterToolchainSettings(root, cluster))),
  ];
  if (tools.some((part) => part === undefined)) return undefined;
  const lock = `${clustersDir}/${stateDirName}`;
  let entries: string[];
  try {
    entries = [...tree.entries.values()]
      .filter((e) => e.path !== lock && !e.path.startsWith(`${lock}/`))
      .map((e) => {
        const bytes = e.type === 'file' ? tree.bytes(e.path) : undefined;
        const content = bytes ? createHash('sha1').update(bytes).digest('hex') : '';
        return `${e.path}\0${e.type}\0${e.target ?? ''}\0${content}`;
      });
  } catch {
    return undefined; // a file that cannot be read: the stages that read it say so, in their words
  }
  const key = digest(['render verdict', code, ...(tools as string[]), ...chartStamps(root), ...entries]);
  const dir = join(root, '.tools/cache/render');
  const file = join(dir, `${key}.json`);
  let known: KnownPass | undefined;
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    known = isKnownPass(value) ? value : undefined;
  } catch {
    known = undefined; // none, or damaged: it is only a cache
  }
  return {
    known,
    async rememberPass(pass) {
      // A cache that cannot be written (a read-only .tools/) costs a full render next time, never a verdict.
      await writeFileAtomically(file, JSON.stringify(pass)).catch(() => undefined);
      await prune(dir, maxEntries).catch(() => undefined);
    },
  };
}
