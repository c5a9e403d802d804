import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where workspace files are read from: the disk, or a generator's virtual tree. */
export interface FileSource {
  /** Names of the files directly in `dir` (repository-relative); empty when it does not exist. */
  list(dir: string): Promise<string[]>;
  /** The file's text, or undefined when it does not exist. */
  read(file: string): Promise<string | undefined>;
}

export function diskSource(root: string): FileSource {
  return {
    async list(dir) {
      const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
      return entries.filter((e) => e.isFile()).map((e) => e.name).sort();
    },
    read: (file) => readFile(join(root, file), 'utf8').catch(() => undefined),
  };
}
