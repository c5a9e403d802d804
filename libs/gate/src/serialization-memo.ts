import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '@flyte-gkp/output';
import { SerializationMemo, serializerId } from '@flyte-gkp/render';

/**
 * Where the gate keeps the serializer's memo: under .tools/ (not in git), so a fresh clone and CI
 * serialize everything. One file per serializer, named by serializerId. Render keeps it; validate
 * only reads it, so a validate without one (CI) pays nothing for it.
 */
const memoFile = (root: string) => join(root, '.tools/cache/yaml', `${serializerId}.json`);

/** About four times the files of 1,000 projects: a few generations of changes, ~100 MB at most. */
const maxEntries = 30_000;

/** The memo a render saved; undefined when there is none (or it is damaged: it is only a memo). */
export function openSerializationMemo(root: string): SerializationMemo | undefined {
  try {
    const entries: unknown = JSON.parse(readFileSync(memoFile(root), 'utf8'));
    if (Array.isArray(entries))
      return new SerializationMemo(
        entries.filter(
          (e): e is [string, string] => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'string',
        ),
      );
  } catch {
    // absent or damaged
  }
  return undefined;
}

/** Keeps what this run wrote. A memo that cannot be saved (a read-only .tools/) costs time next run, nothing else. */
export async function saveSerializationMemo(root: string, memo: SerializationMemo): Promise<void> {
  if (memo.written === 0) return;
  await writeFileAtomically(memoFile(root), JSON.stringify(memo.entries(maxEntries))).catch(() => undefined);
}
