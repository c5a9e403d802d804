import { readFileSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomically } from '@flyte-gkp/output';
import { SerializationMemo, serializerId } from '@flyte-gkp/render';

/**
 * Where the gate keeps the serializer's memo: under .tools/ (not in git), so a fresh clone and CI
 * serialize everything. One file per serializer, named by serializerId, one `[key, text]` JSON per
 * line: a render appends the texts it wrote (an onboarding, a few) instead of writing the whole memo
 * again (~24 MB at 1,000 projects: 0.4 s of each onboarding render); it is rewritten, oldest texts
 * dropped, only once it has grown well past its bound. Render keeps it; validate only reads it, so a
 * validate without one (CI) pays nothing for it.
 */
const memoFile = (root: string) => join(root, '.tools/cache/yaml', `${serializerId}.jsonl`);

/** About four times the files of 1,000 projects: a few generations of changes, ~100 MB at most. */
const maxEntries = 30_000;
/** Appended lines beyond the bound before the file is rewritten to it. */
const slack = 10_000;

const isEntry = (e: unknown): e is [string, string] =>
  Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'string';

/** The memo renders saved; undefined when there is none. A damaged line (a run killed mid-append) is skipped. */
export function openSerializationMemo(root: string): SerializationMemo | undefined {
  let text: string;
  try {
    text = readFileSync(memoFile(root), 'utf8');
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
  return new SerializationMemo(entries);
}

const lines = (entries: [string, string][]) => entries.map((e) => `${JSON.stringify(e)}\n`).join('');

/** Keeps what this run wrote. A memo that cannot be saved (a read-only .tools/) costs time next run, nothing else. */
export async function saveSerializationMemo(root: string, memo: SerializationMemo): Promise<void> {
  if (memo.written === 0) return;
  const file = memoFile(root);
  const save =
    memo.knownCount + memo.written > maxEntries + slack
      ? writeFileAtomically(file, lines(memo.entries(maxEntries)))
      : mkdir(dirname(file), { recursive: true }).then(() => appendFile(file, lines(memo.added())));
  await save.catch(() => undefined);
}
