import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '@flyte-gkp/output';
import { schemaFolder, verdictFlags, type KubeconformSettings, type ResourceVerdict } from './kubeconform.js';

/**
 * Files the real kubeconform found wholly valid, by a digest of their content, for one toolchain: the
 * binary, the schemas (their install stamps) and the flags that decide a verdict. A file with the same
 * bytes under the same toolchain gets the same verdict, so it need not be checked again: a render
 * after one spec changed runs kubeconform on that spec's files only. Files with any finding are never
 * kept, so every finding comes from a fresh run. The cache lives under .tools/ (not in git): a fresh
 * clone, and CI, start without one.
 */
export interface VerdictCache {
  /** Nothing known (a fresh clone, CI): no file's content needs reading to decide what to check. */
  readonly knowsNothing: boolean;
  isKnownValid(content: string): boolean;
  /** Keeps the files none of whose verdicts is invalid or an error (verdicts name files by `path`). */
  remember(files: readonly { path: string; content: string }[], verdicts: readonly ResourceVerdict[]): void;
  save(): Promise<void>;
}

/** Bounds the file: the newest digests are kept (~7 files per project, a few rendering generations). */
const maxEntries = 200_000;

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

/**
 * What the verdicts depend on, by content, not by path (every checkout shares one cache): the flags,
 * the binary's install stamp and size, each schema folder's install stamp. Undefined when a part has
 * no stamp (then nothing is cached).
 */
export function toolchainKey(settings: KubeconformSettings): string | undefined {
  const binaryStamp = `${settings.binary}.version`;
  if (!existsSync(settings.binary) || !existsSync(binaryStamp)) return undefined;
  const parts = [readFileSync(binaryStamp, 'utf8'), String(statSync(settings.binary).size)];
  for (const location of settings.schemaLocations) {
    const folder = schemaFolder(location, settings.kubernetesVersion);
    const stamp = folder && join(folder, '.stamp');
    if (!folder || !stamp || !existsSync(stamp)) return undefined;
    parts.push(readFileSync(stamp, 'utf8'), location.includes('{{') ? location.slice(location.indexOf('{{')) : '');
  }
  const locations = new Set(settings.schemaLocations);
  parts.push(...verdictFlags(settings).filter((flag) => !locations.has(flag)));
  return digest(parts.join('\0'));
}

const noCache: VerdictCache = {
  knowsNothing: true,
  isKnownValid: () => false,
  remember: () => undefined,
  save: async () => undefined,
};

function readDigests(file: string): string[] {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return Array.isArray(parsed) ? parsed.filter((d): d is string => typeof d === 'string') : [];
  } catch {
    return []; // absent or damaged: start over, it is only a cache
  }
}

/** Synchronous, so that a caller can start kubeconform and go on with other work in the same tick. */
export function openVerdictCache(settings: KubeconformSettings): VerdictCache {
  const key = settings.cacheDir && toolchainKey(settings);
  if (!settings.cacheDir || !key) return noCache;
  const file = join(settings.cacheDir, `${key}.json`);
  const known = new Set(readDigests(file));
  const added = new Set<string>();
  return {
    knowsNothing: known.size === 0,
    isKnownValid: (content) => known.has(digest(content)),
    remember(files, verdicts) {
      const failed = new Set(verdicts.filter((v) => v.status !== 'valid').map((v) => v.file));
      for (const f of files) {
        if (failed.has(f.path)) continue;
        const d = digest(f.content);
        known.add(d);
        added.add(d);
      }
    },
    async save() {
      if (added.size === 0) return;
      // Merged with what another run saved meanwhile.
      const merged = [...new Set([...added, ...readDigests(file), ...known])].slice(0, maxEntries);
      // A cache that cannot be saved (a read-only .tools/) costs time on the next run, never a verdict.
      await writeFileAtomically(file, JSON.stringify(merged)).catch(() => undefined);
      added.clear();
    },
  };
}
