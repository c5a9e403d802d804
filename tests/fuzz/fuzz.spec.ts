// Seeded, reproducible fuzzing of the spec pipeline: thousands of random mutations of valid specs go
// through the library in-process (loadProjectText, then the gate with kubeconform off); whatever the
// gate accepts is rendered and checked by the REAL kubeconform, once, at the end.
//
//   FUZZ_SEED=<n>   another seed (default below)          FUZZ_RUNS=<n>   more or fewer inputs
//   FUZZ_ONLY=<i>   only input number i of the seed (to reproduce a failure; the input is printed)
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runGate } from '@flyte-gkp/gate';
import { runKubeconform, toolchainSettings, type ResourceVerdict } from '@flyte-gkp/kubeconform';
import { externalSecretsOf, loadPlatform, type Platform } from '@flyte-gkp/platform';
import { renderCluster, type RenderedFile } from '@flyte-gkp/render';
import { loadProjectText, type FileSource } from '@flyte-gkp/project-spec';
import type { Diagnostic } from '@flyte-gkp/diagnostics';
import { createPlatformFolder } from '@flyte-gkp/testing';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const seed = Number(process.env.FUZZ_SEED ?? 20_240_611);
const runs = Number(process.env.FUZZ_RUNS ?? 2000);
const only = process.env.FUZZ_ONLY === undefined ? undefined : Number(process.env.FUZZ_ONLY);
const platformFiles = ['platform/clusters/gkp-dev.yaml', 'platform/pins.yaml'];

// ------------------------------------------------------------------------------------------ PRNG

/** mulberry32: tiny, fast, good enough to explore; one stream per input, so input i never depends on input i-1. */
function prng(state: number) {
  let a = state >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;
const inputSeed = (i: number) => (seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;

// ------------------------------------------------------------------------------------------ inputs

/** A richer valid spec than the examples: every optional field, so mutations reach every path. */
const richSpec = {
  $schema: '../libs/project-spec/project.schema.json',
  apiVersion: 'flytepoc.gkp.io/v1alpha1',
  kind: 'FlyteProject',
  id: 'fz',
  displayName: 'Fuzz Z',
  description: 'Every field.\nTwo lines.',
  owners: [
    { group: 'gkp-103020-fz-admins', role: 'admin' },
    { group: 'gkp-103020-fz-devs', role: 'edit' },
    { group: 'gkp-103020-fz-readers', role: 'view' },
  ],
  domains: {
    'd-dev': { quota: { cpu: '500m', memory: '1Gi', pods: 1 } },
    't-dev': { decommission: true },
    'p-dev': { quota: { cpu: 32, memory: '128Gi', pods: 500 }, decommission: false },
  },
  storage: { bucket: '103020-flytepoc-fz', credentialsSecret: 'mercury-fz' },
  clusters: ['gkp-dev'],
};

const specialChars = [
  ':',
  ': ',
  '-',
  '- ',
  '#',
  ' #',
  '&',
  '*',
  '!',
  '!!',
  '|',
  '>',
  "'",
  '"',
  '%',
  '@',
  '`',
  '{',
  '}',
  '[',
  ']',
  ',',
  '?',
  '\\',
  '\t',
  '\n',
  '\r',
  '\r\n',
  '\u0000',
  '\u0007',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u009b',
  '\u00a0',
  '\u2028',
  '\u2029',
  '\u200b',
  '\u202e',
  '\ufeff',
  '\ufffd',
  '\uffff',
  'é',
  'ß',
  '\u0430',
  '\uff48',
  '😀',
  '{{',
  '}}',
  '{{ .Values }}',
  '---',
  '...',
  '<<',
  '~',
  'null',
  'yes',
  'no',
  'on',
  '0x1F',
  '1e3',
  '.inf',
  '.nan',
  '=',
  '[platform]',
  'AKIAIOSFODNN7EXAMPLE',
  'password=x',
  'https://u:p@h/',
];
const plainChars = 'abcdefghijklmnopqrstuvwxyz0123456789-';
const fieldNames = [
  'apiVersion',
  'kind',
  'id',
  'displayName',
  'description',
  'owners',
  'group',
  'role',
  'domains',
  'quota',
  'cpu',
  'memory',
  'pods',
  'decommission',
  'storage',
  'bucket',
  'credentialsSecret',
  'clusters',
  '$schema',
  'secretKey',
  '__proto__',
  'constructor',
  'd-dev',
  't-dev',
  'p-dev',
  'qa',
  'true',
  '',
];
const boundaryNumbers = [
  0,
  -0,
  1,
  -1,
  2,
  20,
  41,
  42,
  48,
  63,
  64,
  65,
  499,
  500,
  501,
  512,
  513,
  9999,
  10000,
  10001,
  2 ** 31,
  2 ** 53,
  2 ** 53 + 2,
  1e21,
  1e23,
  1e300,
  0.5,
  1.5,
  32.5,
  -4,
];
const boundaryStrings = [
  '',
  '0',
  '32',
  '33',
  '32001m',
  '32000m',
  '128Gi',
  '129Gi',
  '131072Mi',
  '131073Mi',
  '137438953472',
  '1e3',
  '0x10',
  '1.5Gi',
  '8Ei',
  '500m',
  'Infinity',
  'd-dev',
  'gkp-dev',
  'nope',
  'default',
  'kube-system',
  'platform',
  'admin',
  'cluster-admin',
  '103020-flytepoc-dev-metadata',
  '103020-flytepoc-x',
  'mercury-x',
  'system:authenticated',
  'x',
  'y',
  'fz',
];

function randomString(rng: Rng): string {
  const lengths = [0, 1, 3, 8, 20, 41, 42, 63, 64, 65, 200, 512, 513];
  const length = rng.chance(0.3) ? rng.pick(lengths) : rng.int(30);
  let s = '';
  while (s.length < length) s += rng.chance(0.7) ? plainChars[rng.int(plainChars.length)] : rng.pick(specialChars);
  return s.slice(0, Math.max(length, 0)) || (rng.chance(0.5) ? '' : rng.pick(specialChars));
}

function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 1 ? 6 : 9)) {
    case 0:
      return rng.pick(boundaryNumbers);
    case 1:
      return rng.pick(boundaryStrings);
    case 2:
      return randomString(rng);
    case 3:
      return rng.chance(0.5);
    case 4:
      return null;
    case 5:
      return rng.int(1000);
    case 6:
      return [randomValue(rng, depth + 1), randomValue(rng, depth + 1)].slice(0, rng.int(3));
    case 7:
      return { [rng.pick(fieldNames)]: randomValue(rng, depth + 1) };
    default:
      return {};
  }
}

type Json = Record<string, unknown> | unknown[];
type Path = (string | number)[];

/** Every value of `root` with its path (the root itself excluded). */
function paths(root: unknown, at: Path = []): Path[] {
  if (Array.isArray(root)) return root.flatMap((v, i) => [[...at, i], ...paths(v, [...at, i])]);
  if (root !== null && typeof root === 'object')
    return Object.entries(root).flatMap(([k, v]) => [[...at, k], ...paths(v, [...at, k])]);
  return [];
}
const get = (root: unknown, path: Path) =>
  path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], root);
function set(root: unknown, path: Path, value: unknown) {
  const parent = get(root, path.slice(0, -1)) as Record<string | number, unknown>;
  // An own property even for __proto__, as a YAML or JSON parser would make it.
  Object.defineProperty(parent, path.at(-1)!, { value, enumerable: true, writable: true, configurable: true });
}
function remove(root: unknown, path: Path) {
  const parent = get(root, path.slice(0, -1));
  if (Array.isArray(parent)) parent.splice(Number(path.at(-1)), 1);
  else delete (parent as Record<string, unknown>)[path.at(-1) as string];
}
const containers = (root: unknown) =>
  [[], ...paths(root)].filter((p) => {
    const v = get(root, p);
    return v !== null && typeof v === 'object';
  });
const clone = <T>(v: T): T => structuredClone(v);

const structural: { name: string; apply(rng: Rng, spec: Json): void }[] = [
  {
    name: 'delete-key',
    apply: (rng, spec) => {
      const all = paths(spec);
      if (all.length) remove(spec, rng.pick(all));
    },
  },
  {
    name: 'insert-key',
    apply: (rng, spec) => {
      const c = rng.pick(containers(spec));
      const target = get(spec, c);
      if (Array.isArray(target)) target.push(randomValue(rng));
      else set(spec, [...c, rng.chance(0.7) ? rng.pick(fieldNames) : randomString(rng)], randomValue(rng));
    },
  },
  {
    name: 'change-type',
    apply: (rng, spec) => {
      const all = paths(spec);
      if (all.length) set(spec, rng.pick(all), randomValue(rng));
    },
  },
  {
    name: 'random-string',
    apply: (rng, spec) => {
      const strings = paths(spec).filter((p) => typeof get(spec, p) === 'string');
      if (strings.length)
        set(
          spec,
          rng.pick(strings),
          rng.chance(0.5) ? randomString(rng) : `${get(spec, rng.pick(strings))}${randomString(rng)}`,
        );
    },
  },
  {
    name: 'text-field',
    apply: (rng, spec) => {
      if (!Array.isArray(spec)) set(spec, [rng.pick(['displayName', 'description'])], randomString(rng));
    },
  },
  {
    name: 'truncate-string',
    apply: (rng, spec) => {
      const strings = paths(spec).filter((p) => typeof get(spec, p) === 'string');
      if (strings.length) {
        const p = rng.pick(strings);
        const s = get(spec, p) as string;
        set(spec, p, s.slice(0, rng.int(s.length + 1)));
      }
    },
  },
  {
    name: 'swap-values',
    apply: (rng, spec) => {
      const all = paths(spec);
      if (all.length > 1) {
        const a = rng.pick(all);
        const b = rng.pick(all);
        if (a.join('\0').startsWith(b.join('\0')) || b.join('\0').startsWith(a.join('\0'))) return;
        const va = clone(get(spec, a));
        set(spec, a, clone(get(spec, b)));
        set(spec, b, va);
      }
    },
  },
  {
    name: 'boundary-number',
    apply: (rng, spec) => {
      const numeric = paths(spec).filter(
        (p) => ['cpu', 'memory', 'pods'].includes(String(p.at(-1))) || typeof get(spec, p) === 'number',
      );
      const p = numeric.length && rng.chance(0.8) ? rng.pick(numeric) : rng.pick(paths(spec));
      if (p) set(spec, p, rng.chance(0.6) ? rng.pick(boundaryNumbers) : rng.pick(boundaryStrings));
    },
  },
  {
    name: 'quota',
    apply: (rng, spec) => {
      if (Array.isArray(spec)) return;
      const domain = rng.pick(['d-dev', 't-dev', 'p-dev', 'p-dev', rng.pick(boundaryStrings)]);
      const q: Record<string, unknown> = {};
      for (const r of ['cpu', 'memory', 'pods'])
        if (rng.chance(0.5)) q[r] = rng.chance(0.5) ? rng.pick(boundaryNumbers) : rng.pick(boundaryStrings);
      set(spec, ['domains'], {
        ...((spec as Record<string, unknown>).domains as object),
        [domain]: rng.chance(0.3) ? { decommission: rng.chance(0.5) } : { quota: q },
      });
    },
  },
  {
    name: 'id-and-names',
    apply: (rng, spec) => {
      if (Array.isArray(spec)) return;
      const id = rng.chance(0.5) ? rng.pick(boundaryStrings) : randomString(rng);
      set(spec, ['id'], id);
      if (rng.chance(0.5))
        set(spec, ['storage'], { bucket: `103020-flytepoc-${id}`, credentialsSecret: `mercury-${id}` });
    },
  },
];

/** Mutations that often keep a spec valid are drawn more often: the gate's accepting side needs inputs too. */
const weighted = structural.flatMap((m) =>
  Array<typeof m>(({ 'text-field': 4, quota: 3, 'boundary-number': 2 } as Record<string, number>)[m.name] ?? 1).fill(m),
);

const textual: { name: string; apply(rng: Rng, text: string): string }[] = [
  { name: 'truncate', apply: (rng, t) => t.slice(0, rng.int(t.length + 1)) },
  {
    name: 'delete-line',
    apply: (rng, t) => {
      const l = t.split('\n');
      l.splice(rng.int(l.length), 1);
      return l.join('\n');
    },
  },
  {
    name: 'duplicate-line',
    apply: (rng, t) => {
      const l = t.split('\n');
      const i = rng.int(l.length);
      l.splice(i + 1 + rng.int(3), 0, l[i]);
      return l.join('\n');
    },
  },
  {
    name: 'swap-lines',
    apply: (rng, t) => {
      const l = t.split('\n');
      const a = rng.int(l.length);
      const b = rng.int(l.length);
      [l[a], l[b]] = [l[b], l[a]];
      return l.join('\n');
    },
  },
  {
    name: 'insert-chars',
    apply: (rng, t) => {
      const at = rng.int(t.length + 1);
      return t.slice(0, at) + rng.pick(specialChars) + t.slice(at);
    },
  },
  {
    name: 'reindent',
    apply: (rng, t) => {
      const l = t.split('\n');
      const i = rng.int(l.length);
      l[i] = ' '.repeat(rng.int(6)) + l[i].trimStart();
      return l.join('\n');
    },
  },
  {
    name: 'yaml-directive',
    apply: (rng, t) => {
      const extra = rng.pick([
        '---\n',
        '...\n',
        '%YAML 1.1\n---\n',
        'x: &a [1]\ny: *a\n',
        '!!map\n',
        '? a\n: b\n',
        '<<: {id: z}\n',
        'id: !custom z\n',
      ]);
      return rng.chance(0.5) ? extra + t : `${t}\n${extra}`;
    },
  },
];

interface Input {
  index: number;
  file: string;
  text: string;
  mutations: string[];
}

function makeInput(index: number, bases: { name: string; value: Json }[]): Input {
  const rng = prng(inputSeed(index));
  const base = rng.pick(bases);
  const spec = clone(base.value);
  const mutations: string[] = [base.name];
  const count = 1 + rng.int(2);
  for (let k = 0; k < count; k++) {
    const m = rng.pick(weighted);
    m.apply(rng, spec);
    mutations.push(m.name);
  }
  const json = rng.chance(0.3);
  let text: string;
  try {
    text = json
      ? JSON.stringify(spec, null, rng.pick([0, 2]))
      : stringify(spec, {
          defaultStringType: rng.pick(['PLAIN', 'PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL'] as const),
          aliasDuplicateObjects: false,
          lineWidth: rng.pick([0, 20, 80]),
        });
  } catch {
    text = JSON.stringify(spec);
  }
  if (rng.chance(0.25)) {
    const m = rng.pick(textual);
    text = m.apply(rng, text);
    mutations.push(m.name);
  }
  const id = (spec as Record<string, unknown>).id;
  const stem =
    typeof id === 'string' && /^[a-z0-9-]{1,60}$/.test(id) && rng.chance(0.9)
      ? id
      : rng.pick(['fz', 'x', 'Fuzz', 'a.b']);
  return { index, file: `projects/${stem}.${json ? 'json' : rng.pick(['yaml', 'yaml', 'yml'])}`, text, mutations };
}

// ------------------------------------------------------------------------------------------ checking

interface Failure {
  index: number;
  reason: string;
  input?: Input;
}

function located(d: Diagnostic, input: Input, lineCount: number): string | undefined {
  if (typeof d.file !== 'string' || d.file === '') return 'a diagnostic without a file';
  if (typeof d.rule !== 'string' || !/^[a-z]+(\/[a-z0-9-]+)?$/.test(d.rule))
    return `a diagnostic without a rule id (${String(d.rule)})`;
  if (typeof d.message !== 'string' || d.message.trim() === '') return `${d.rule}: a diagnostic without a message`;
  if (!Number.isInteger(d.line) || d.line! < 1) return `${d.rule}: ${d.file} without a line: ${d.message}`;
  if (!Number.isInteger(d.column) || d.column! < 1)
    return `${d.rule}: ${d.file}:${d.line} without a column: ${d.message}`;
  if (d.file === input.file && d.line! > lineCount + 1)
    return `${d.rule}: line ${d.line} is past the end of ${d.file} (${lineCount} lines)`;
  return undefined;
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** What the API server checks and kubeconform's schemas do not: names and label values. */
function apiServerProblems(file: RenderedFile): string[] {
  const problems: string[] = [];
  for (const o of file.objects as {
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  }[]) {
    const what = `${file.path}: ${o.kind} ${o.metadata.name}`;
    const nameRule = o.kind === 'Namespace' ? dnsLabel : /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
    if (!nameRule.test(o.metadata.name) || o.metadata.name.length > (o.kind === 'Namespace' ? 63 : 253))
      problems.push(`${what}: invalid name`);
    if (
      o.metadata.namespace !== undefined &&
      (!dnsLabel.test(o.metadata.namespace) || o.metadata.namespace.length > 63)
    )
      problems.push(`${what}: invalid namespace ${o.metadata.namespace}`);
    for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
      if (typeof v !== 'string' || v.length > 63 || !labelValue.test(v))
        problems.push(`${what}: invalid label value ${k}=${JSON.stringify(v)}`);
    }
  }
  return problems;
}

// ------------------------------------------------------------------------------------------ the run

const stats = {
  inputs: 0,
  rejectedAtLoad: 0,
  rejectedByGate: 0,
  accepted: 0,
  crashes: 0,
  unlocated: 0,
  manifests: 0,
  verdicts: 0,
  ms: 0,
};
const byRule = new Map<string, number>();
const failures: Failure[] = [];
let workspace: string;

beforeAll(async () => {
  workspace = await createPlatformFolder('fuzz-');
  await mkdir(join(workspace, 'projects'));
});
afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
  const rules = [...byRule]
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  console.log(
    [
      `fuzz: seed ${seed}, ${stats.inputs} inputs ` +
        `in ${(stats.ms / 1000).toFixed(1)} s${only !== undefined ? ` (only #${only})` : ''}`,
      `  refused by the parser or the schema: ${stats.rejectedAtLoad}; ` +
        `refused by the gate's rules: ${stats.rejectedByGate}; accepted: ${stats.accepted}`,
      `  crashes (threw instead of reporting): ${stats.crashes}; ` +
        `findings without file, line, column or rule: ${stats.unlocated}`,
      `  accepted output: ${stats.manifests} distinct manifests, ${stats.verdicts} kubeconform verdicts`,
      `  findings by rule: ${rules}`,
    ].join('\n'),
  );
});

function virtualSource(files: Map<string, string>): FileSource {
  return {
    list: async (dir) =>
      [...files.keys()]
        .filter((f) => dirname(f) === dir)
        .map((f) => f.slice(dir.length + 1))
        .sort(),
    read: async (file) => files.get(file),
  };
}

const show = (input: Input) =>
  `#${input.index} (FUZZ_SEED=${seed} FUZZ_ONLY=${input.index}) ` +
  `${input.file} after ${input.mutations.join(', ')}:\n${JSON.stringify(input.text).slice(0, 1500)}`;

describe(`fuzzing the spec pipeline (seed ${seed}, ${runs} inputs)`, () => {
  let platform: Platform;
  let platformTexts: Map<string, string>;
  const accepted: { input: Input; spec: Record<string, unknown>; files: RenderedFile[] }[] = [];

  it('starts from specs the gate accepts', async () => {
    platformTexts = new Map(
      await Promise.all(
        platformFiles.map(async (f) => [f, await readFile(join(workspace, f), 'utf8')] as [string, string]),
      ),
    );
    const loaded = await loadPlatform(virtualSource(platformTexts));
    if (!loaded.ok) throw new Error(`the platform does not load: ${JSON.stringify(loaded.diagnostics)}`);
    platform = loaded.platform;
    for (const [file, text] of [
      ['projects/x.yaml', await readFile(join(repoRoot, 'projects/x.yaml'), 'utf8')],
      ['projects/y.json', await readFile(join(repoRoot, 'projects/y.json'), 'utf8')],
      ['projects/fz.yaml', stringify(richSpec)],
    ]) {
      const gate = await runGate(workspace, {
        files: virtualSource(new Map([...platformTexts, [file, text]])),
        kubeconform: false,
        drift: false,
      });
      expect(gate.diagnostics, `${file} passes the gate`).toEqual([]);
    }
  });

  it('never throws, and locates every finding (file, line, column, rule)', async () => {
    const bases = [
      { name: 'x.yaml', value: parse(await readFile(join(repoRoot, 'projects/x.yaml'), 'utf8')) as Json },
      { name: 'y.json', value: JSON.parse(await readFile(join(repoRoot, 'projects/y.json'), 'utf8')) as Json },
      { name: 'rich', value: richSpec },
    ];
    const started = Date.now();
    const indexes = only !== undefined ? [only] : Array.from({ length: runs }, (_, i) => i);
    const seen = new Set<string>();
    for (const index of indexes) {
      const input = makeInput(index, bases);
      stats.inputs++;
      const lineCount = input.text.split('\n').length;
      const check = (diagnostics: Diagnostic[]) => {
        for (const d of diagnostics) {
          byRule.set(d.rule, (byRule.get(d.rule) ?? 0) + 1);
          const problem = located(d, input, lineCount);
          if (problem) {
            stats.unlocated++;
            failures.push({ index, reason: problem, input });
          }
        }
      };
      let loaded;
      try {
        loaded = loadProjectText(input.file, input.text);
      } catch (error) {
        stats.crashes++;
        failures.push({
          index,
          reason: `loadProjectText threw ${String((error as Error)?.stack ?? error).slice(0, 400)}`,
          input,
        });
        continue;
      }
      if (!loaded.ok) {
        stats.rejectedAtLoad++;
        if (loaded.diagnostics.length === 0) failures.push({ index, reason: 'refused without a finding', input });
        check(loaded.diagnostics);
        if (only === undefined) continue;
      }
      // The same text twice goes through the gate once.
      const key = `${input.file}\0${input.text}`;
      if (seen.has(key)) continue;
      seen.add(key);
      let diagnostics: Diagnostic[];
      try {
        diagnostics = (
          await runGate(workspace, {
            files: virtualSource(new Map([...platformTexts, [input.file, input.text]])),
            kubeconform: false,
            drift: false,
          })
        ).diagnostics;
      } catch (error) {
        stats.crashes++;
        failures.push({
          index,
          reason: `runGate threw ${String((error as Error)?.stack ?? error).slice(0, 400)}`,
          input,
        });
        continue;
      }
      check(diagnostics);
      if (!loaded.ok) continue;
      if (diagnostics.length > 0) {
        stats.rejectedByGate++;
        continue;
      }
      stats.accepted++;
      const spec = loaded.value.spec as unknown as Record<string, unknown>;
      const files = platform.clusters
        .flatMap((c) => renderCluster(c, platform.pins, [{ ...loaded.value, file: input.file }]))
        .filter((f) => f.project);
      for (const problem of files.flatMap(apiServerProblems)) failures.push({ index, reason: problem, input });
      accepted.push({ input, spec, files });
    }
    stats.ms += Date.now() - started;
    expect(stats.inputs).toBe(indexes.length);
    expect(
      failures.map((f) => `${f.reason}\n  ${f.input ? show(f.input) : ''}`).slice(0, 10),
      `${failures.length} failure(s)`,
    ).toEqual([]);
  }, 240_000);

  it('accepts a fair share of the inputs (the mutations do not only break the specs)', () => {
    if (only !== undefined) return;
    expect(stats.accepted).toBeGreaterThan(stats.inputs * 0.1);
    expect(stats.rejectedAtLoad + stats.rejectedByGate).toBeGreaterThan(stats.inputs * 0.3);
  });

  it('renders, for every accepted input, manifests that pass the real kubeconform', async () => {
    const started = Date.now();
    const scratch = await mkdtemp(join(tmpdir(), 'fuzz-kubeconform-'));
    try {
      // One file per distinct manifest; remember which input first rendered it.
      const owners = new Map<string, (typeof accepted)[number]>();
      await mkdir(join(scratch, 'm'));
      for (const entry of accepted) {
        for (const f of entry.files.filter((f) => f.type === 'manifest')) {
          const name = `m/${createHash('sha256').update(f.content).digest('hex').slice(0, 24)}.yaml`;
          if (owners.has(name)) continue;
          owners.set(name, entry);
          await writeFile(join(scratch, name), f.content);
        }
      }
      stats.manifests = owners.size;
      const cluster = platform.clusters[0].cluster;
      const verdicts: ResourceVerdict[] = owners.size
        ? await runKubeconform(
            [...owners.keys()],
            scratch,
            toolchainSettings(
              repoRoot,
              cluster.kubernetesVersion,
              cluster.argocd.version,
              externalSecretsOf(cluster)?.externalSecrets.version,
            ),
          )
        : [];
      stats.verdicts = verdicts.length;
      const bad = new Map<Input, string[]>();
      for (const v of verdicts.filter((v) => v.status !== 'valid')) {
        const entry = owners.get(v.file)!;
        bad.set(entry.input, [
          ...(bad.get(entry.input) ?? []),
          `${v.status} ${v.kind} ${v.name}: ${v.message} ${v.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
        ]);
      }
      const report = [...bad].map(([input, problems]) => `${[...new Set(problems)].join('\n  ')}\n  ${show(input)}`);
      expect(report.slice(0, 5), `${bad.size} accepted input(s) rendered manifests kubeconform refuses`).toEqual([]);
      if (only === undefined && accepted.length > 0) expect(stats.verdicts).toBeGreaterThan(owners.size);
    } finally {
      await rm(scratch, { recursive: true, force: true });
      stats.ms += Date.now() - started;
    }
  }, 120_000);
});
