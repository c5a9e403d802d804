// Isolation proof on a real render: projects whose ids, groups, buckets and Secrets are prefixes and
// suffixes of each other are rendered together by the CLI, and for every pair A ≠ B nothing rendered for
// A names, binds, routes to or mounts anything of B. Namespaces are protected from deletion unless
// their domain is being decommissioned.
//
// What belongs to a project is derived here from its spec and the cluster file, not from the output.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { createPlatformFolder } from '@flyte-gkp/testing';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const clusterFile = parse(readFileSync(join(repoRoot, 'platform/clusters/gkp-dev.yaml'), 'utf8')) as {
  name: string;
  pocName: string;
  namespacePrefix: string;
  systemNamespace: string;
  domains: string[];
};
const cluster = clusterFile.name;

interface Spec {
  id: string;
  owners: { group: string; role: string }[];
  domains?: Record<string, { decommission?: boolean; quota?: Record<string, unknown> }>;
  storage: { bucket: string; credentialsSecret: string };
}

const project = (id: string, groups: [string, string][], domains?: Spec['domains']): Spec => ({
  id,
  owners: groups.map(([group, role]) => ({ group, role })),
  ...(domains ? { domains } : {}),
  storage: { bucket: `103020-flytepoc-${id}`, credentialsSecret: `mercury-${id}` },
});

/** Ids, groups, buckets and Secret names that are prefixes or suffixes of one another. */
const specs: Spec[] = [
  project('a', [
    ['gkp-103020-team-a', 'admin'],
    ['gkp-103020-team-a-readers', 'view'],
  ]),
  project('a-d', [['gkp-103020-team-a-d', 'admin']], { 'd-dev': {} }),
  project('ab', [
    ['gkp-103020-team-ab@example.com', 'edit'],
    ['gkp-103020-team-a-d-readers', 'view'],
  ]),
  project(
    'ml',
    [
      ['gkp-103020-ml-admins', 'admin'],
      ['gkp-103020-ml-devs', 'edit'],
    ],
    { 'd-dev': {}, 't-dev': { decommission: true }, 'p-dev': { quota: { cpu: '16' } } },
  ),
  project('ml-t', [['gkp-103020-ml-t-admins', 'admin']]),
  project('t-ml', [['gkp-103020-org/t-ml:admins', 'admin']], { 'p-dev': { decommission: true }, 'd-dev': {} }),
];

/** Everything of B that A must never reference, computed from B's spec and the cluster definition. */
function identity(spec: Spec) {
  const domains = Object.keys(spec.domains ?? Object.fromEntries(clusterFile.domains.map((d) => [d, {}])));
  return {
    id: spec.id,
    namespaces: domains.map((d) => `${clusterFile.namespacePrefix}${spec.id}-${d}`),
    argoName: `${clusterFile.pocName}-${spec.id}`,
    groups: spec.owners.map((o) => o.group),
    secret: spec.storage.credentialsSecret,
    bucket: spec.storage.bucket,
    decommissioned: new Set(
      domains
        .filter((d) => spec.domains?.[d]?.decommission === true)
        .map((d) => `${clusterFile.namespacePrefix}${spec.id}-${d}`),
    ),
  };
}
type Identity = ReturnType<typeof identity>;

interface Output {
  /** Every string of A's rendered files: YAML keys and values, and the lines of the other files. */
  strings: Set<string>;
  /** The strings cut at separators (`proj:flytepoc-a:owners`, `s3://bucket/prefix/`, INI lines...). */
  tokens: Set<string>;
  /** The same, without the comments of the client files (prose: "a hand edit"). */
  words: Set<string>;
  /** Values of labels and label selectors. */
  labelValues: Set<string>;
  objects: Record<string, any>[];
}

const tokenize = (s: string) => s.split(/[\s,:/=*@;()"'`]+/).filter(Boolean);

function collect(value: unknown, into: Output, prose = false) {
  if (typeof value === 'string') {
    into.strings.add(value);
    for (const t of tokenize(value)) {
      into.tokens.add(t);
      if (!prose) into.words.add(t);
    }
  } else if (Array.isArray(value)) {
    for (const v of value) collect(v, into);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      collect(k, into);
      collect(v, into);
      // The values of a `labels` or `matchLabels` mapping are label values.
      if ((k === 'labels' || k === 'matchLabels') && v !== null && typeof v === 'object') {
        for (const label of Object.values(v)) if (typeof label === 'string') into.labelValues.add(label);
      }
    }
  }
}

let root: string;
const outputs = new Map<string, Output>();
let systemNamespace: Record<string, any>;

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
}

beforeAll(async () => {
  root = await createPlatformFolder('isolation-');
  await mkdir(join(root, 'projects'));
  for (const s of specs) {
    await writeFile(
      join(root, 'projects', `${s.id}.yaml`),
      stringify({ apiVersion: 'flytepoc.gkp.io/v1alpha1', kind: 'FlyteProject', displayName: `Project ${s.id}`, ...s }),
    );
  }
  const result = await execa(join(repoRoot, 'node_modules/.bin/tsx'), ['tools/cli/main.ts', 'render', '--root', root], {
    cwd: repoRoot,
    reject: false,
  });
  if (result.exitCode !== 0)
    throw new Error(`render failed (exit ${result.exitCode}):\n${result.stdout}\n${result.stderr}`);

  for (const s of specs) {
    const dir = join(root, 'clusters', cluster, 'projects', s.id);
    const output: Output = {
      strings: new Set(),
      tokens: new Set(),
      words: new Set(),
      labelValues: new Set(),
      objects: [],
    };
    for (const file of await files(dir)) {
      const text = await readFile(join(dir, file), 'utf8');
      if (file.endsWith('.yaml')) {
        for (const doc of parseAllDocuments(text, { version: '1.1' })) {
          expect(doc.errors, `${s.id}/${file} parses`).toEqual([]);
          const object = doc.toJS() as Record<string, any> | null;
          if (object) {
            output.objects.push(object);
            collect(object, output);
          }
        }
      } else {
        // flytekit.config and constraints.txt: every line, and its words.
        for (const line of text.split('\n')) collect(line.trim(), output, line.startsWith('#'));
      }
    }
    outputs.set(s.id, output);
  }
  const platformDocs = parseAllDocuments(
    await readFile(join(root, 'clusters', cluster, 'platform/manifests/namespace.yaml'), 'utf8'),
    { version: '1.1' },
  ).map((d) => d.toJS());
  systemNamespace = platformDocs.find((o) => o?.kind === 'Namespace');
}, 120_000);

afterAll(() => rm(root, { recursive: true, force: true }));

/** What of B's shows up in A's output, by kind of reference. */
function references(a: Output, b: Identity): string[] {
  const found: string[] = [];
  const has = (s: string) => a.strings.has(s) || a.tokens.has(s);
  for (const ns of b.namespaces) if (has(ns)) found.push(`namespace ${ns}`);
  if (has(b.argoName)) found.push(`AppProject/Application ${b.argoName}`);
  for (const g of b.groups) if (a.strings.has(g) || a.tokens.has(g)) found.push(`owner group ${g}`);
  if (has(b.secret)) found.push(`Secret ${b.secret}`);
  if (has(b.bucket)) found.push(`bucket ${b.bucket}`);
  if (a.labelValues.has(b.id)) found.push(`label value ${b.id}`);
  if (a.words.has(b.id)) found.push(`the id ${b.id} as a word or path segment`);
  return found;
}

const identities = specs.map(identity);
const pairs = identities.flatMap((a) => identities.filter((b) => b.id !== a.id).map((b) => [a, b] as const));

describe('every project renders into its own space only', () => {
  it('renders every project of the workspace', () => {
    expect([...outputs.keys()].sort()).toEqual(specs.map((s) => s.id).sort());
    for (const [id, output] of outputs) expect(output.objects.length, `${id} has objects`).toBeGreaterThan(10);
  });

  // The detector finds each project's own things in its own output: the checks below can fail.
  it.each(identities.map((i) => [i.id, i] as const))(
    '%s: its own namespaces, Argo CD names, groups, Secret, bucket and id are found in its output',
    (_, self) => {
      const found = references(outputs.get(self.id)!, self);
      for (const ns of self.namespaces) expect(found).toContain(`namespace ${ns}`);
      expect(found).toContain(`AppProject/Application ${self.argoName}`);
      for (const g of self.groups) expect(found).toContain(`owner group ${g}`);
      expect(found).toContain(`Secret ${self.secret}`);
      expect(found).toContain(`bucket ${self.bucket}`);
      expect(found).toContain(`label value ${self.id}`);
      expect(found).toContain(`the id ${self.id} as a word or path segment`);
    },
  );

  it.each(pairs.map(([a, b]) => [a.id, b.id, a, b] as const))('%s names nothing of %s', (_a, _b, a, b) => {
    expect(references(outputs.get(a.id)!, b)).toEqual([]);
  });

  it.each(identities.map((i) => [i.id, i] as const))(
    '%s: every namespaced object, destination and binding stays in its own namespaces and owners',
    (_, self) => {
      const own = new Set(self.namespaces);
      const groups = new Set(self.groups);
      for (const o of outputs.get(self.id)!.objects) {
        const what = `${o.kind} ${o.metadata?.name}`;
        if (o.kind === 'Namespace') expect(own.has(o.metadata.name), what).toBe(true);
        else if (o.kind === 'AppProject' || o.kind === 'Application') expect(o.metadata.name, what).toBe(self.argoName);
        else expect(own.has(o.metadata.namespace), `${what} in ${o.metadata.namespace}`).toBe(true);
        for (const d of o.spec?.destinations ?? [])
          expect(own.has(d.namespace), `${what} destination ${d.namespace}`).toBe(true);
        if (o.spec?.destination) expect(own.has(o.spec.destination.namespace), `${what} destination`).toBe(true);
        if (o.kind === 'Application')
          expect(o.spec.source.path, what).toBe(`clusters/${cluster}/projects/${self.id}/manifests`);
        for (const s of o.subjects ?? []) {
          if (s.kind === 'Group') expect(groups.has(s.name), `${what} binds ${s.name}`).toBe(true);
          else expect(s.namespace, `${what} binds ${s.kind} ${s.name}`).toBe(clusterFile.systemNamespace);
        }
        for (const role of o.spec?.roles ?? [])
          for (const g of role.groups ?? []) expect(groups.has(g), `${what} role ${role.name} group ${g}`).toBe(true);
      }
      const namespaces = outputs
        .get(self.id)!
        .objects.filter((o) => o.kind === 'Namespace')
        .map((o) => o.metadata.name);
      expect(namespaces.sort()).toEqual([...self.namespaces].sort());
    },
  );
});

describe('safe deletes', () => {
  const options = (o: Record<string, any>) =>
    String(o.metadata?.annotations?.['argocd.argoproj.io/sync-options'] ?? '').split(',');

  it.each(identities.map((i) => [i.id, i] as const))(
    '%s: each namespace is kept by Argo CD (Prune=false, Delete=false) unless its domain is decommissioned',
    (_, self) => {
      for (const ns of outputs.get(self.id)!.objects.filter((o) => o.kind === 'Namespace')) {
        if (self.decommissioned.has(ns.metadata.name)) {
          expect(options(ns), `${ns.metadata.name} is being decommissioned: Argo CD may delete it`).not.toContain(
            'Delete=false',
          );
          expect(options(ns), ns.metadata.name).not.toContain('Prune=false');
        } else {
          expect(options(ns), ns.metadata.name).toEqual(expect.arrayContaining(['Prune=false', 'Delete=false']));
        }
      }
    },
  );

  it.each(identities.map((i) => [i.id, i] as const))(
    '%s: a kept namespace stays isolated and bounded: its NetworkPolicy, ResourceQuota and LimitRange are kept too',
    (_, self) => {
      const guards = outputs
        .get(self.id)!
        .objects.filter((o) => ['NetworkPolicy', 'ResourceQuota', 'LimitRange'].includes(o.kind));
      expect(guards).toHaveLength(3 * self.namespaces.length);
      for (const o of guards) {
        const what = `${o.kind} in ${o.metadata.namespace}`;
        if (self.decommissioned.has(o.metadata.namespace)) expect(options(o), what).not.toContain('Prune=false');
        else expect(options(o), what).toEqual(expect.arrayContaining(['Prune=false', 'Delete=false']));
      }
    },
  );

  it('the workspace has decommissioned and protected namespaces side by side', () => {
    expect(identities.flatMap((i) => [...i.decommissioned]).length).toBeGreaterThanOrEqual(2);
  });

  it('the Flyte system namespace is protected too', () => {
    expect(systemNamespace?.metadata?.name).toBe(clusterFile.systemNamespace);
    expect(options(systemNamespace)).toEqual(expect.arrayContaining(['Prune=false', 'Delete=false']));
  });
});
