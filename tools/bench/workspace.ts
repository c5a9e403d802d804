// Synthetic workspaces for the benchmark: the repository's real code and platform files, plus N
// generated specs that are valid and varied (domain subsets, quotas within the cluster ceiling, 1–4
// owners with different roles, YAML and JSON files). Deterministic: the same size and seed give the
// same bytes, so two runs of the bench measure the same input.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareQuantities, fits, parseQuantity } from '@flyte-gkp/lint';
import { loadPlatform, type Cluster } from '@flyte-gkp/platform';
import { specText } from '../nx-plugin/src/generators/project/spec-text';
import {
  diskSource,
  projectApiVersion,
  type DomainSettings,
  type OwnerRole,
  type ProjectSpec,
  type Quota,
} from '@flyte-gkp/project-spec';

/** What the generator needs to know of the platform; read from the real platform/ files. */
export interface PlatformFacts {
  cluster: Cluster;
}

export async function readPlatformFacts(repoRoot: string): Promise<PlatformFacts> {
  const result = await loadPlatform(diskSource(repoRoot));
  if (!result.ok)
    throw new Error(
      "the repository's platform/ files do not load:\n" +
        result.diagnostics.map((d) => `${d.file}: ${d.message}`).join('\n'),
    );
  // Specs without `clusters` go to every cluster; the generator sizes quotas and domains for the first.
  return { cluster: result.platform.clusters[0].cluster };
}

export interface GeneratedSpec {
  /** Repository-relative path, e.g. projects/forecast-0007.yaml */
  file: string;
  format: 'yaml' | 'json';
  spec: ProjectSpec;
  text: string;
}

/** mulberry32: a tiny seeded PRNG, enough to vary specs reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Whether a Kubernetes quantity (500m, 4, 8Gi) is at most `limit`: as the quota rule compares them. */
export function atMost(quantity: string | number, limit: string | number): boolean {
  const [value, ceiling] = [parseQuantity(quantity), parseQuantity(limit)];
  if (value === undefined || ceiling === undefined)
    throw new Error(`not a quantity: ${value === undefined ? quantity : limit}`);
  return compareQuantities(value, ceiling) <= 0;
}

const teams = [
  'forecast',
  'vision',
  'nlp',
  'pricing',
  'fraud',
  'search',
  'ads',
  'genomics',
  'risk',
  'supply',
  'churn',
  'ranking',
];
const purposes = ['pipelines', 'experiments', 'training', 'batch-scoring', 'feature-store', 'evaluation'];
const subjects = [
  'Demand forecasting',
  'Image classification',
  'Text embeddings',
  'Dynamic pricing',
  'Fraud detection',
  'Search relevance',
  'Ad click prediction',
  'Variant calling',
  'Credit risk',
  'Supply planning',
  'Churn prediction',
  'Feed ranking',
];
const roles: OwnerRole[] = ['admin', 'edit', 'view'];
const cpuChoices = ['500m', '1', '2', 4, '6', 8, '12', '16', '24', '32', '1500m'];
const memoryChoices = ['1Gi', '2Gi', '4Gi', '8Gi', '12Gi', '16Gi', '24Gi', '32Gi', '64Gi', '128Gi', '4096Mi'];
const podChoices = [10, 20, 25, 50, 75, 100, 150, 200, 300, 500];

/**
 * `count` valid, varied specs for `cluster`. Ids, buckets and secret names are unique; every quota is
 * within the cluster's ceiling; every namespace the spec renders stays a DNS label of ≤ 63 characters.
 */
export function generateSpecs(facts: PlatformFacts, count: number, seed = 20261123): GeneratedSpec[] {
  const { cluster } = facts;
  const random = prng(seed + count);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const ceiling = cluster.quota.ceiling;
  const within = <T extends string | number>(choices: readonly T[], limit: string | number) =>
    choices.filter((c) => atMost(c, limit));
  const cpus = within(cpuChoices, ceiling.cpu);
  const memories = within(memoryChoices, ceiling.memory);
  const pods = podChoices.filter((p) => p <= ceiling.pods);
  const longestDomain = Math.max(...cluster.domains.map((d) => d.length));
  const maxIdLength = 63 - cluster.namespacePrefix.length - 1 - longestDomain;

  const specs: GeneratedSpec[] = [];
  for (let i = 0; i < count; i++) {
    const team = teams[i % teams.length];
    const purpose = pick(purposes);
    const serial = String(i).padStart(4, '0');
    const id = `${team}-${purpose}-${serial}`.slice(0, maxIdLength).replace(/-+$/, '') || `p${serial}`;
    const subject = subjects[i % subjects.length];

    const ownerCount = 1 + (i % 4); // 1, 2, 3, 4 owners in turn
    const owners: ProjectSpec['owners'] = [{ group: `gkp-${cluster.appId}-${id}-admins`, role: 'admin' }];
    const extraGroups = [
      `gkp-${cluster.appId}-${id}-engineers`,
      `gkp-${cluster.appId}-${team}-data-scientists`,
      `gkp-${cluster.appId}-readers`,
    ];
    for (let o = 1; o < ownerCount; o++)
      owners.push({ group: extraGroups[o - 1], role: o === 1 ? pick(roles) : roles[(i + o) % roles.length] });

    // A third of the specs take every domain with the default quota; the others a non-empty subset in
    // promotion order, some with their own quotas (partial or full).
    let domains: Record<string, DomainSettings> | undefined;
    if (i % 3 !== 0) {
      const chosen = cluster.domains.filter(() => random() < 0.6);
      if (chosen.length === 0) chosen.push(cluster.domains[i % cluster.domains.length]);
      domains = {};
      for (const domain of chosen) {
        const quota: Quota = {};
        if (random() < 0.6) quota.cpu = pick(cpus);
        if (random() < 0.6) quota.memory = pick(memories);
        if (random() < 0.4) quota.pods = pick(pods);
        // The cpu and memory quotas hold the pods quota at the default requests (lint: quota/reachable).
        const held = Math.min(
          ...(['cpu', 'memory'] as const).map((r) =>
            Number(fits(quota[r] ?? cluster.quota.default[r], cluster.quota.containerDefaults[r])),
          ),
        );
        if ((quota.pods ?? cluster.quota.default.pods) > held) quota.pods = held;
        domains[domain] = Object.keys(quota).length > 0 ? { quota } : {};
      }
    }

    const spec: ProjectSpec = {
      apiVersion: projectApiVersion,
      kind: 'FlyteProject',
      id,
      displayName: `${subject} ${serial}`,
      ...(i % 5 === 4
        ? {}
        : { description: `${subject} ${purpose.replace(/-/g, ' ')} of team ${team} (synthetic project ${serial}).` }),
      owners,
      // Most projects name their team's reviewers (every fourth a second team too), some leave it to the platform team.
      ...(i % 6 === 5
        ? {}
        : {
            reviewers: [
              `@gkp-${cluster.appId}/${team}-reviewers`,
              ...(i % 4 === 0 ? [`@gkp-${cluster.appId}/${team}-leads`] : []),
            ],
          }),
      ...(domains ? { domains } : {}),
      storage: {
        bucket: `${cluster.appId}-${cluster.pocName}-${id}`.slice(0, 63).replace(/-+$/, ''),
        credentialsSecret: `mercury-${id}`,
      },
      ...(i % 7 === 3 ? { clusters: [cluster.name] } : {}),
    };
    const format = i % 3 === 1 ? 'json' : 'yaml';
    const extension = format === 'json' ? 'json' : i % 10 === 5 ? 'yml' : 'yaml';
    specs.push({ file: `projects/${id}.${extension}`, format, spec, text: specText(spec, format) });
  }
  return specs;
}

/** The text a tenant would commit, as the project generator writes it. */
export { specText };

/** Files and folders of the repository a workspace needs for the CLI and Nx to run in it. */
const copied = [
  'package.json',
  'package-lock.json',
  'nx.json',
  '.nxignore',
  '.env',
  'tsconfig.base.json',
  'tsconfig.json',
  'libs',
  'platform',
  'tools/cli',
  'tools/nx-plugin',
  'tools/setup',
  'tools/toolchain.json',
];
/** Large or installed: linked, never copied. */
const linked = ['node_modules', '.tools/bin', '.tools/schemas', '.tools/charts'];

/**
 * A workspace under `dir` with the repository's code and platform and `count` generated specs (no
 * other spec, no rendered output yet). Returns the generated specs.
 */
export async function createWorkspace(
  repoRoot: string,
  dir: string,
  count: number,
  seed?: number,
): Promise<GeneratedSpec[]> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'projects'), { recursive: true });
  for (const entry of copied) {
    if (existsSync(join(repoRoot, entry)))
      cpSync(join(repoRoot, entry), join(dir, entry), { recursive: true, filter: (src) => !src.includes('/.nx/') });
  }
  // The workspace's own .tools/ holds its CLI bundle and kubeconform verdict cache, so the bench can
  // clear that cache without touching the repository's.
  mkdirSync(join(dir, '.tools'));
  for (const entry of linked)
    if (existsSync(join(repoRoot, entry))) symlinkSync(join(repoRoot, entry), join(dir, entry));
  // The repository's .gitignore names node_modules/ as a folder; here it is a symlink.
  const gitignore = existsSync(join(repoRoot, '.gitignore')) ? readFileSync(join(repoRoot, '.gitignore'), 'utf8') : '';
  writeFileSync(
    join(dir, '.gitignore'),
    `${gitignore}\n# bench workspace: symlinks to the repository's installs\nnode_modules\n.nx\n`,
  );
  const specs = generateSpecs(await readPlatformFacts(repoRoot), count, seed);
  for (const s of specs) writeFileSync(join(dir, s.file), s.text);
  return specs;
}
