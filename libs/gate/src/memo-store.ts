import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { appendFile, mkdir, readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomically } from '@flyte-gkp/output';
import type { Platform } from '@flyte-gkp/platform';
import { loaderId, Memo, type LoadMemo } from '@flyte-gkp/project-spec';
import { SerializationMemo, serializerId, type RenderOptions } from '@flyte-gkp/render';

/**
 * Where the gate keeps its memos: under .tools/ (not in git), so a fresh clone and CI compute
 * everything. One file per version of the code that computed the values (serializerId, loaderId), one
 * `[key, value]` JSON per line: a render appends what it computed (an onboarding, a few values) instead
 * of writing the whole memo again (~24 MB of YAML texts at 1,000 projects: 0.4 s of each onboarding
 * render); it is rewritten, the oldest values dropped, only once it has grown well past its bound.
 * Render keeps them; validate only reads them, so a validate without them (CI) pays nothing for them.
 *
 * - the YAML texts of rendered objects, behind render (SerializationMemo);
 * - the values of specs that loaded, behind load (LoadMemo).
 */
interface MemoKind<M extends Memo<string>> {
  folder: string;
  id: string;
  create: (entries: [string, string][]) => M;
}

export const serializationMemo: MemoKind<SerializationMemo> = {
  folder: 'yaml',
  id: serializerId,
  create: (entries) => new SerializationMemo(entries),
};

export const loadMemo: MemoKind<LoadMemo> = { folder: 'specs', id: loaderId, create: (entries) => new Memo(entries) };

const memoFile = (root: string, kind: MemoKind<Memo<string>>) =>
  join(root, '.tools/cache', kind.folder, `${kind.id}.jsonl`);

/** About four times the files of 1,000 projects: a few generations of changes, ~100 MB at most. */
const maxEntries = 30_000;
/** Appended lines beyond the bound before the file is rewritten to it. */
const slack = 10_000;

const isEntry = (e: unknown): e is [string, string] =>
  Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'string';

/** The memo renders saved; undefined when there is none. A damaged line (a run killed mid-append) is skipped. */
export function openMemo<M extends Memo<string>>(root: string, kind: MemoKind<M>): M | undefined {
  let text: string;
  try {
    text = readFileSync(memoFile(root, kind), 'utf8');
  } catch {
    return undefined; // absent
  }
  const entries: [string, string][] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const entry: unknown = JSON.parse(line);
      if (isEntry(entry)) entries.push(entry);
    } catch {
      // damaged: it is only a memo
    }
  }
  return kind.create(entries);
}

const lines = (entries: [string, string][]) => entries.map((e) => `${JSON.stringify(e)}\n`).join('');

/**
 * Keeps what this run computed, and drops the memos of other versions of the code (each ~40 MB at 1,000
 * projects: no run reads them again). A memo that cannot be saved (a read-only .tools/) costs time next
 * run, no more.
 */
export async function saveMemo(root: string, kind: MemoKind<Memo<string>>, memo: Memo<string>): Promise<void> {
  if (memo.written === 0) return;
  const file = memoFile(root, kind);
  const save =
    memo.knownCount + memo.written > maxEntries + slack
      ? writeFileAtomically(file, lines(memo.entries(maxEntries)))
      : mkdir(dirname(file), { recursive: true }).then(() => appendFile(file, lines(memo.added())));
  await save.catch(() => undefined);
  if (memo.knownCount > 0) return; // the first run of this version has dropped the others already
  const others = await readdir(dirname(file)).catch(() => []);
  await Promise.all(
    others
      .filter((name) => name.endsWith('.jsonl') && name !== basename(file))
      .map((name) => rm(join(dirname(file), name), { force: true }).catch(() => undefined)),
  );
}

/** The file tools/cli/run.mjs bundles every library and dependency into, and runs. */
const cliBundle = 'flyte-gkp.mjs';

/**
 * The code this process runs, when it runs the CLI bundle: a digest of the bundle's bytes, every library
 * and dependency in it. Undefined when it runs the sources (tests under tsx): then nothing is memoized
 * by code, since no one file names it all.
 */
export function bundleId(moduleUrl: string = import.meta.url): string | undefined {
  if (!moduleUrl.startsWith('file:')) return undefined;
  const file = fileURLToPath(moduleUrl);
  if (basename(file) !== cliBundle) return undefined;
  try {
    return createHash('sha1').update(readFileSync(file)).digest('hex'); // ~3 MB: a few milliseconds
  } catch {
    return undefined;
  }
}

/**
 * The key of each project's rendered texts: the code, the cluster file and its loaded definition, the
 * pins, the spec file and its value; undefined without a code to name.
 */
export function projectMemoKeys(
  platform: Platform,
  code: string | undefined,
): NonNullable<RenderOptions['projectTexts']>['key'] | undefined {
  if (code === undefined) return undefined;
  const ofCluster = new Map(
    platform.clusters.map((c) => [c, sha1(JSON.stringify([code, platform.pins, c.source.file, c.cluster]))]),
  );
  return (cluster, project) => {
    const clusterKey = ofCluster.get(cluster);
    return clusterKey && sha1(JSON.stringify([clusterKey, project.file, project.spec]));
  };
}

/**
 * The texts of projects' files by those keys (RenderOptions' projectTexts), in a memo of their own, one
 * file per code: its keys all change with the code, and the memo of a code no longer run is deleted.
 */
export interface ProjectTexts extends NonNullable<RenderOptions['projectTexts']> {
  kind: MemoKind<SerializationMemo>;
}

export function openProjectTexts(
  root: string,
  platform: Platform,
  code: string | undefined = bundleId(),
): ProjectTexts | undefined {
  const key = projectMemoKeys(platform, code);
  if (key === undefined || code === undefined) return undefined;
  const kind = { ...serializationMemo, folder: 'yaml-by-project', id: sha1(`${serializerId}\0${code}`) };
  return { kind, memo: openMemo(root, kind) ?? new SerializationMemo(), key };
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
