import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isUtf8 } from 'node:buffer';
import { DiagnosticError } from '@flyte-gkp/diagnostics';

/** Where workspace files are read from: the disk, or a generator's virtual tree. */
export interface FileSource {
  /** Names of the files directly in `dir` (repository-relative); empty when it does not exist. */
  list(dir: string): Promise<string[]>;
  /** The file's text, or undefined when it does not exist. */
  read(file: string): Promise<string | undefined>;
}

/**
 * Text that is not UTF-8 would be decoded with replacement characters and rendered silently altered
 * ("Größe" as "Gr��e"): refused instead, at the first byte that is not UTF-8.
 */
export function decodeUtf8(file: string, bytes: Buffer): string {
  const text = bytes.toString('utf8');
  if (isUtf8(bytes)) return text;
  const bad = text.indexOf('\ufffd');
  const before = text.slice(0, bad).split('\n');
  throw new DiagnosticError([
    {
      file,
      line: before.length,
      column: before[before.length - 1].length + 1,
      rule: 'yaml/syntax',
      message: 'the file is not UTF-8 text',
      fix: 'save it with the UTF-8 encoding',
    },
  ]);
}

export function diskSource(root: string): FileSource {
  return {
    async list(dir) {
      const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
      return entries
        .filter((e) => e.isFile())
        .map((e) => e.name)
        .sort();
    },
    async read(file) {
      let bytes: Buffer | undefined;
      try {
        bytes = readFileSync(join(root, file)); // synchronously: see readTree in libs/output
      } catch {
        bytes = undefined;
      }
      return bytes && decodeUtf8(file, bytes);
    },
  };
}
