import type { Diagnostic } from '@flyte-gkp/diagnostics';
import { parseSource, schemaChecker, type FileSource, type SourceDocument } from '@flyte-gkp/spec';
import clusterSchema from '../cluster.schema.json' with { type: 'json' };
import pinsSchema from '../pins.schema.json' with { type: 'json' };
import type { Cluster, Pins } from './types.js';

export const clustersDir = 'platform/clusters';
export const pinsFile = 'platform/pins.yaml';

export interface LoadedCluster {
  cluster: Cluster;
  source: SourceDocument;
}

export interface Platform {
  clusters: LoadedCluster[];
  pins: Pins;
  pinsSource: SourceDocument;
}

export type PlatformResult = { ok: true; platform: Platform } | { ok: false; diagnostics: Diagnostic[] };

const checkCluster = schemaChecker(clusterSchema, 'platform/schema');
const checkPins = schemaChecker(pinsSchema, 'platform/schema');

function loadChecked(file: string, text: string, check: (s: SourceDocument) => Diagnostic[]) {
  const parsed = parseSource(file, text);
  if (!parsed.ok) return { diagnostics: parsed.diagnostics };
  const diagnostics = check(parsed.source);
  return diagnostics.length ? { diagnostics } : { source: parsed.source, diagnostics };
}

/** Reads every cluster definition and the pin file; any problem is reported with its position. */
export async function loadPlatform(files: FileSource): Promise<PlatformResult> {
  const diagnostics: Diagnostic[] = [];
  const clusters: LoadedCluster[] = [];
  const names = (await files.list(clustersDir)).filter((n) => /\.ya?ml$/.test(n));
  if (names.length === 0) {
    diagnostics.push({ file: clustersDir, rule: 'platform/schema', message: 'no cluster definition found', fix: `add ${clustersDir}/<name>.yaml` });
  }
  for (const name of names) {
    const file = `${clustersDir}/${name}`;
    const loaded = loadChecked(file, (await files.read(file)) ?? '', checkCluster);
    diagnostics.push(...loaded.diagnostics);
    if (loaded.source) {
      const cluster = loaded.source.value as Cluster;
      clusters.push({ cluster, source: loaded.source });
      if (`${cluster.name}.yaml` !== name && `${cluster.name}.yml` !== name) {
        diagnostics.push({ file, ...loaded.source.locate(['name']), rule: 'platform/schema', message: `the cluster is named ${cluster.name} but its file is ${name}`, fix: `rename the file to ${cluster.name}.yaml` });
      }
    }
  }
  const pinsText = await files.read(pinsFile);
  if (pinsText === undefined) {
    diagnostics.push({ file: pinsFile, rule: 'platform/schema', message: 'the pin file is missing', fix: `restore ${pinsFile}` });
    return { ok: false, diagnostics };
  }
  const pins = loadChecked(pinsFile, pinsText, checkPins);
  diagnostics.push(...pins.diagnostics);
  if (diagnostics.length > 0 || !pins.source) return { ok: false, diagnostics };
  return { ok: true, platform: { clusters, pins: pins.source.value as Pins, pinsSource: pins.source } };
}
