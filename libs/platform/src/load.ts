import type { Diagnostic } from '@flyte-gkp/diagnostics';
import {
  displayPath,
  parseSource,
  schemaChecker,
  type FileSource,
  type PathSegment,
  type SourceDocument,
} from '@flyte-gkp/project-spec';
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

/** Line breaks, and the controls that act like one or drive a terminal. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
const breaksLine = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Free text read by people only (pins' `why`): never rendered, so it may span lines. */
const freeText = new Set(['why']);

/**
 * Every other platform value and key lands on one line of something: a flytekit.config entry, a Helm
 * value, a URL, a label. A line break there writes lines of its own: an admin endpoint with a newline
 * injects an `[auth]` section into every generated flytekit.config.
 */
function multiLineValues(source: SourceDocument): Diagnostic[] {
  const found: Diagnostic[] = [];
  const report = (path: PathSegment[], text: string, where: 'key' | 'value') => {
    const code = text.codePointAt(text.search(breaksLine))!;
    const what = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    found.push({
      file: source.file,
      ...source.locate(path, where),
      rule: 'platform/schema',
      message:
        `${where === 'key' ? `the key of ${displayPath(path)}` : displayPath(path)} ` +
        `holds a line break or control character (${what}): it must be one line`,
      fix:
        'write it on one line, without control characters ' +
        '(a YAML block scalar `|` or `>` keeps a final line break: use a plain or quoted value)',
    });
  };
  const walk = (value: unknown, path: PathSegment[]) => {
    if (typeof value === 'string') {
      if (breaksLine.test(value)) report(path, value, 'value');
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const at = [...path, Array.isArray(value) ? Number(key) : key];
        if (breaksLine.test(key)) report(at, key, 'key');
        if (!freeText.has(key)) walk(item, at);
      }
    }
  };
  walk(source.value, []);
  return found;
}

function loadChecked(file: string, text: string, check: (s: SourceDocument) => Diagnostic[]) {
  const parsed = parseSource(file, text);
  if (!parsed.ok) return { diagnostics: parsed.diagnostics };
  const schema = check(parsed.source);
  // A value the schema already refuses (a name with a newline fails its pattern) is reported once.
  const refused = new Set(schema.map((d) => `${d.line}:${d.column}`));
  const diagnostics = [
    ...schema,
    ...multiLineValues(parsed.source).filter((d) => !refused.has(`${d.line}:${d.column}`)),
  ];
  return diagnostics.length ? { diagnostics } : { source: parsed.source, diagnostics };
}

/** Reads every cluster definition and the pin file; any problem is reported with its position. */
export async function loadPlatform(files: FileSource): Promise<PlatformResult> {
  const diagnostics: Diagnostic[] = [];
  const clusters: LoadedCluster[] = [];
  const names = (await files.list(clustersDir)).filter((n) => /\.ya?ml$/.test(n));
  if (names.length === 0) {
    diagnostics.push({
      file: clustersDir,
      rule: 'platform/schema',
      message: 'no cluster definition found',
      fix: `add ${clustersDir}/<name>.yaml`,
    });
  }
  for (const name of names) {
    const file = `${clustersDir}/${name}`;
    const loaded = loadChecked(file, (await files.read(file)) ?? '', checkCluster);
    diagnostics.push(...loaded.diagnostics);
    if (loaded.source) {
      const cluster = loaded.source.value as Cluster;
      clusters.push({ cluster, source: loaded.source });
      const first = clusters.find((c) => c.cluster.name === cluster.name && c.source !== loaded.source);
      if (first) {
        diagnostics.push({
          file,
          ...loaded.source.locate(['name']),
          rule: 'platform/schema',
          message: `the cluster ${cluster.name} is also defined by ${first.source.file}`,
          fix: `keep one file per cluster: remove ${file} or rename its cluster`,
        });
      }
      if (`${cluster.name}.yaml` !== name && `${cluster.name}.yml` !== name) {
        diagnostics.push({
          file,
          ...loaded.source.locate(['name']),
          rule: 'platform/schema',
          message: `the cluster is named ${cluster.name} but its file is ${name}`,
          fix: `rename the file to ${cluster.name}.yaml`,
        });
      }
    }
  }
  const pinsText = await files.read(pinsFile);
  if (pinsText === undefined) {
    diagnostics.push({
      file: pinsFile,
      rule: 'platform/schema',
      message: 'the pin file is missing',
      fix: `restore ${pinsFile}`,
    });
    return { ok: false, diagnostics };
  }
  const pins = loadChecked(pinsFile, pinsText, checkPins);
  diagnostics.push(...pins.diagnostics);
  if (diagnostics.length > 0 || !pins.source) return { ok: false, diagnostics };
  return { ok: true, platform: { clusters, pins: pins.source.value as Pins, pinsSource: pins.source } };
}
