import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A file written beside its place: `commit` renames it into place, `drop` removes what is left of it. */
export interface WrittenAside {
  commit(): Promise<void>;
  drop(): Promise<void>;
}

/** Writes `content` beside `file` under a name of its own; a failed write leaves nothing behind. */
export async function writeAside(file: string, content: string): Promise<WrittenAside> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${randomUUID()}.tmp`;
  const drop = () => rm(temporary, { force: true });
  try {
    await writeFile(temporary, content);
  } catch (error) {
    await drop();
    throw error;
  }
  return { commit: () => rename(temporary, file), drop };
}

/**
 * Writes `file` whole or not at all: aside first, then renamed into place, so a reader never sees
 * half of it. Writers running at once each write under a name of their own; the last rename wins.
 */
export async function writeFileAtomically(file: string, content: string): Promise<void> {
  const aside = await writeAside(file, content);
  try {
    await aside.commit();
  } finally {
    await aside.drop();
  }
}
