import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chartFolder } from '@flyte-gkp/helm';
import { toolchainKey } from '@flyte-gkp/kubeconform';
import { inflatedChart, kustomizeSettings, type Kustomization } from '@flyte-gkp/kustomize';
import { writeFileAtomically } from '@flyte-gkp/output';
import type { Cluster, Pins } from '@flyte-gkp/platform';
import { clusterToolchainSettings } from './kubeconform-stage.js';

/**
 * The chart stage's verdicts, as the kubeconform stage keeps its own (libs/kubeconform/verdict-cache.ts):
 * a platform folder that passed every check of the chart stage with the same input passes again, so it
 * is not built again. The input is everything the verdict depends on: the kustomization and the values
 * (the platform folder's files), the chart (the folder digest setup recorded), the helm and kustomize
 * binaries, the cluster (its Kubernetes version, system namespace…), the pins, kubeconform's toolchain,
 * and the code of the checks and their exceptions (the module that runs them: in the CLI, its bundle).
 * Only passes are kept: every finding comes from a fresh build. Under .tools/cache/ (not in git): a fresh
 * clone, and CI, start without it.
 */
export interface ChartVerdictCache {
  readonly passed: boolean;
  /** Keeps the pass of this input. */
  rememberPass(): Promise<void>;
}

/** Bounds the folder: the newest passes are kept (one per platform input, a few per onboarding). */
const maxEntries = 200;

export const digest = (parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32);

/** The install stamp and size of a binary; undefined when it has none. */
export function binaryStamp(binary: string): string | undefined {
  const stamp = `${binary}.version`;
  return existsSync(binary) && existsSync(stamp)
    ? `${readFileSync(stamp, 'utf8')}:${statSync(binary).size}`
    : undefined;
}

const codeDigests = new Map<string, string>();
/** The code that checks the chart (its modules, by URL): a change there is a new verdict. */
function codeDigest(modules: readonly string[]): string {
  return modules
    .map((url) => {
      if (!codeDigests.has(url)) codeDigests.set(url, digest([readFileSync(fileURLToPath(url), 'utf8')]));
      return codeDigests.get(url)!;
    })
    .join();
}

export interface ChartInput {
  root: string;
  cluster: Cluster;
  pins: Pins;
  /** The platform folder: its kustomization, and its files (repository paths and contents). */
  kustomization: Kustomization;
  files: readonly { path: string; content: string }[];
  /** The checks: the URLs of their modules, and the data they compare with (exceptions, overrides). */
  checks: { modules: readonly string[]; data: unknown };
}

/** The cache for one cluster's platform folder; none when a part of the key has no install stamp. */
export function openChartVerdictCache({
  root,
  cluster,
  pins,
  kustomization,
  files,
  checks,
}: ChartInput): ChartVerdictCache | undefined {
  const chart = inflatedChart(kustomization);
  const chartStamp = `${chartFolder(root, chart.name, chart.version)}.stamp`;
  const tools = kustomizeSettings(root);
  const parts = [
    existsSync(chartStamp) ? readFileSync(chartStamp, 'utf8') : undefined,
    binaryStamp(tools.binary),
    binaryStamp(tools.helmBinary),
    toolchainKey(clusterToolchainSettings(root, cluster)),
  ];
  if (parts.some((part) => part === undefined)) return undefined;
  const key = digest([
    ...(parts as string[]),
    JSON.stringify(files),
    JSON.stringify(cluster),
    JSON.stringify(pins),
    JSON.stringify(checks.data),
    codeDigest(checks.modules),
  ]);
  const dir = join(root, '.tools/cache/chart');
  const entry = join(dir, key);
  return {
    passed: existsSync(entry),
    async rememberPass() {
      // A cache that cannot be written (a read-only .tools/) costs a build next time, never a verdict.
      await writeFileAtomically(entry, '').catch(() => undefined);
      await prune(dir).catch(() => undefined);
    },
  };
}

/** Keeps the newest `keep` entries of a folder of verdicts. */
export async function prune(dir: string, keep = maxEntries): Promise<void> {
  const names = await readdir(dir);
  if (names.length <= keep) return;
  const aged = await Promise.all(names.map(async (name) => ({ name, at: (await stat(join(dir, name))).mtimeMs })));
  const oldest = aged.sort((a, b) => b.at - a.at).slice(keep);
  await Promise.all(oldest.map(({ name }) => rm(join(dir, name), { force: true })));
}
