// `npm run bench`: what onboarding costs at 10, 100 and 1,000 projects. See tools/bench/README.md for
// the method. Prints a table and writes tools/bench/results/latest.json. It measures; it asserts
// nothing about time (only that the synthetic input is valid, so it never measures a broken run).
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, platform as osPlatform, arch, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { kubeconformFlags } from '@flyte-gkp/kubeconform';
import { loadPlatform } from '@flyte-gkp/platform';
import { diskSource } from '@flyte-gkp/project-spec';
import { codeownersPath } from '@flyte-gkp/render';
import { clusterToolchainSettings, schemaExceptions } from '@flyte-gkp/gate';
import { cliEntry, renderCommittedChart } from '@flyte-gkp/testing';
import { hasGnuTime, measure, median, round, summarize, type Run, type RunOptions, type Summary } from './measure.js';
import { stageNames, timeStages, type StageName, type StageTimes } from './stages.js';
import { createWorkspace, specText, type GeneratedSpec } from './workspace.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** GitHub ignores a CODEOWNERS file larger than this: no owner at all. */
const githubCodeownersLimit = 3 * 1024 * 1024;
const peakMemoryLimitMiB = 512;

const { values: options } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,100,1000' },
    repeats: { type: 'string', default: '3' },
    out: { type: 'string', default: join(repoRoot, 'tools/bench/results/latest.json') },
    keep: { type: 'boolean', default: false },
  },
});
const sizes = options.sizes.split(',').map(Number);
const repeats = Number(options.repeats);
if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(repeats) || repeats < 1) {
  console.error('usage: npm run bench -- [--sizes 10,100,1000] [--repeats 3] [--out FILE] [--keep]');
  process.exit(2);
}

// Children must not reach a cloud service, start a daemon or draw a terminal UI.
const childEnv: NodeJS.ProcessEnv = {
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  FORCE_COLOR: '0',
  NO_COLOR: '1',
};

function log(message: string) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** The CLI exactly as `npm run render|validate` runs it (`node tools/cli/run.mjs …`), after its setup pre-hook. */
function cli(ws: string, args: string[]): [string, string[], RunOptions] {
  return [process.execPath, [cliEntry, ...args], { cwd: ws, env: childEnv, node: true }];
}

function check(run: Run, what: string): Run {
  if (run.exitCode !== 0) {
    throw new Error(
      `${what} failed (exit code ${run.exitCode}): the bench measures only runs that pass.\n` +
        `${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`,
    );
  }
  return run;
}

async function repeat(times: number, what: string, once: () => Promise<Run>): Promise<Summary> {
  const runs: Run[] = [];
  for (let i = 0; i < times; i++) runs.push(check(await once(), what));
  return logged(what, summarize(runs));
}

function logged(what: string, summary: Summary): Summary {
  log(
    `  ${what}: median ${ms(summary.medianMs)} (${summary.runsMs.map(ms).join(', ')})` +
      `${summary.cpuMedianMs ? `, CPU ${ms(summary.cpuMedianMs)}` : ''}` +
      `${summary.maxRssMiB ? `, peak ${Math.round(summary.maxRssMiB)} MiB` : ''}`,
  );
  return summary;
}

const ms = (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`);

/**
 * The flyte chart as the gate builds it (kustomize and helm, as Argo CD will), written once into the workspace's own
 * .tools/ (outside clusters/), so kubeconform alone checks the same objects the gate does. Returns the
 * file of each cluster, repository-relative.
 */
async function renderChartForKubeconform(ws: string): Promise<Map<string, string>> {
  const loaded = await loadPlatform(diskSource(ws));
  if (!loaded.ok) throw new Error('platform does not load');
  const files = new Map<string, string>();
  for (const { cluster } of loaded.platform.clusters) {
    const objects = await renderCommittedChart(ws, cluster.name);
    const file = `.tools/bench-chart/${cluster.name}.yaml`;
    mkdirSync(join(ws, '.tools/bench-chart'), { recursive: true });
    writeFileSync(join(ws, file), objects.map((o) => o.text).join('\n---\n'));
    files.set(cluster.name, file);
  }
  return files;
}

/**
 * kubeconform run directly, with the very flags libs/kubeconform passes, on every manifest and the
 * chart's output in ONE run. The chart's only findings are the schema exceptions the gate accepts.
 */
async function kubeconformAlone(
  ws: string,
  manifests: Map<string, string[]>,
  charts: Map<string, string>,
): Promise<{ run: Run; resources: number }> {
  const loaded = await loadPlatform(diskSource(ws));
  if (!loaded.ok) throw new Error('platform does not load');
  let total: Run | undefined;
  let resources = 0;
  for (const { cluster } of loaded.platform.clusters) {
    const files = [
      ...(manifests.get(cluster.name) ?? []),
      ...(charts.has(cluster.name) ? [charts.get(cluster.name)!] : []),
    ];
    if (files.length === 0) continue;
    const settings = clusterToolchainSettings(ws, cluster);
    const flags = kubeconformFlags(settings, { findingsOnly: true }, files.length); // as the gate runs it
    const run = await measure(settings.binary, [...flags, ...files], { cwd: ws });
    // Exit code 1 would mean "something is invalid": the generated input must be all valid.
    const { summary } = JSON.parse(run.stdout) as {
      summary: { valid: number; invalid: number; errors: number; skipped: number };
    };
    const accepted = charts.has(cluster.name) ? schemaExceptions.length : 0;
    if (summary.invalid !== accepted || summary.errors + summary.skipped > 0)
      throw new Error(`kubeconform alone does not pass: ${JSON.stringify(summary)} ${run.stderr}`);
    resources += summary.valid + summary.invalid;
    total = total
      ? { ...run, ms: total.ms + run.ms, maxRssMiB: Math.max(total.maxRssMiB ?? 0, run.maxRssMiB ?? 0) || undefined }
      : run;
  }
  if (!total) throw new Error('no manifests rendered');
  return { run: total, resources };
}

function git(ws: string, ...args: string[]): string {
  return execFileSync(
    'git',
    [
      '-c',
      'user.name=flyte-gkp bench',
      '-c',
      'user.email=bench@flyte-gkp.invalid',
      '-c',
      'commit.gpgsign=false',
      ...args,
    ],
    { cwd: ws, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** The one spec the nx affected measure changes: a spec with domains, in the middle of the sort order. */
function changeOneSpec(ws: string, specs: GeneratedSpec[]): GeneratedSpec {
  const candidates = specs.filter((s) => s.spec.domains).sort((a, b) => a.file.localeCompare(b.file));
  const target = candidates[Math.floor(candidates.length / 2)] ?? specs[0];
  const spec = structuredClone(target.spec);
  // Its quota, not its name: a new name or description also changes the project registration every project
  // shares, which re-validates them all on purpose.
  const [firstDomain] = Object.keys(spec.domains ?? {});
  // One pod fits any cpu and memory quota at the default requests (lint: quota/reachable).
  if (firstDomain)
    spec.domains![firstDomain] = {
      ...spec.domains![firstDomain],
      quota: { ...spec.domains![firstDomain].quota, pods: 1 },
    };
  writeFileSync(join(ws, target.file), specText(spec, target.format));
  return { ...target, spec };
}

/** A new project, as a tenant onboarding adds one: a copy of a generated spec under an id of its own. */
function addOneSpec(ws: string, specs: GeneratedSpec[], serial: number): string {
  const [model] = specs;
  const id = model.spec.id.replace(/\d+$/, String(9000 + serial));
  const spec = JSON.parse(JSON.stringify(model.spec).replaceAll(model.spec.id, id)) as GeneratedSpec['spec'];
  const file = `projects/${id}.${model.format}`;
  writeFileSync(join(ws, file), specText(spec, model.format));
  return file;
}

const setAsideDir = 'set-aside';

/**
 * Moves a tree out of the way instead of deleting it: on this disk, creating files right after deleting
 * as many is 5-8 times slower (6,256 files: 1.6-2.1 s against 0.25-0.34 s), and the first render of a
 * new repository follows no deletion. The trees set aside are deleted when every timing is done.
 */
function setAside(base: string, tree: string): void {
  if (!existsSync(tree)) return;
  mkdirSync(join(base, setAsideDir), { recursive: true });
  renameSync(tree, join(base, setAsideDir, randomUUID()));
}

/**
 * Forgets the caches of the workspace (its own .tools/cache: kubeconform verdicts, YAML texts), as on a fresh clone.
 */
const clearCaches = (ws: string) => rmSync(join(ws, '.tools/cache'), { recursive: true, force: true });

interface NxResult {
  changedSpec: string;
  expectedProject: string;
  ranProjects: string[];
  warm: Summary;
  cold: Summary;
}

/** git repo, one changed spec rendered, then `npx nx affected -t validate --base=HEAD`: once cold, then warm. */
async function nxAffected(ws: string, specs: GeneratedSpec[]): Promise<NxResult> {
  git(ws, 'init', '-q', '-b', 'main');
  git(ws, 'add', '-A');
  git(ws, 'commit', '-q', '-m', 'synthetic workspace');
  const changed = changeOneSpec(ws, specs);
  check(await measure(...cli(ws, ['render'])), 'render after the change');
  // Only the spec and its own output folders changed: exactly one project's validate is then the right answer.
  const own = new RegExp(`^clusters/[^/]+/projects/${changed.spec.id}/`);
  const status = git(ws, 'status', '--porcelain').trimEnd().split('\n');
  const outside = status.map((line) => line.slice(3)).filter((path) => path !== changed.file && !own.test(path));
  if (outside.length > 0)
    throw new Error(`changing ${changed.file} changed more than it and its output: ${outside.join(', ')}`);

  const expectedProject = `flyte-${changed.spec.id}`;
  let ranProjects: string[] = [];
  const once = async () => {
    const run = await measure('npx', ['nx', 'affected', '-t', 'validate', '--base=HEAD', '--outputStyle=static'], {
      cwd: ws,
      env: childEnv,
    });
    ranProjects = [...new Set([...run.stdout.matchAll(/nx run ([^\s:]+):validate/g)].map((m) => m[1]))].sort();
    if (ranProjects.length !== 1 || ranProjects[0] !== expectedProject) {
      throw new Error(
        `nx affected ran validate for ${JSON.stringify(ranProjects)}, not for exactly ${expectedProject}:\n` +
          run.stdout.slice(-3000),
      );
    }
    return run;
  };
  // Cold: no .nx/ (a fresh CI checkout: project graph and file hashes computed from scratch), once.
  // Warm: right after another run (a developer's next run; the daemon is off in both), `repeats` times.
  rmSync(join(ws, '.nx'), { recursive: true, force: true });
  const cold = summarize([check(await once(), 'nx affected (cold)')]);
  const warmRuns: Run[] = [];
  for (let i = 0; i < repeats; i++) warmRuns.push(check(await once(), 'nx affected (warm)'));
  const warm = summarize(warmRuns);
  log(
    `  nx affected -t validate: warm median ${ms(warm.medianMs)} (${warm.runsMs.map(ms).join(', ')}), ` +
      `cold ${ms(cold.medianMs)}; ran ${ranProjects.join(', ')}`,
  );
  return { changedSpec: changed.file, expectedProject, ranProjects, warm, cold };
}

/**
 * `plan --base HEAD` right after the nx measure: the one changed spec rendered, not committed. Its
 * changes must all be that project's (nothing else changed), and there must be some.
 */
async function planOneChanged(ws: string, changed: string): Promise<Summary> {
  const id = changed.replace(/^projects\/|\.[a-z]+$/g, '');
  return repeat(repeats, 'plan --base HEAD, 1 spec changed', async () => {
    const run = check(await measure(...cli(ws, ['plan', '--base', 'HEAD', '--format', 'json'])), 'plan');
    const projects = [
      ...new Set((JSON.parse(run.stdout) as { changes: { project: string | null }[] }).changes.map((c) => c.project)),
    ];
    if (projects.length !== 1 || projects[0] !== id)
      throw new Error(
        `plan after changing ${changed} reports changes of ${JSON.stringify(projects)}, not of ${id} alone`,
      );
    return run;
  });
}

/**
 * `plan --base HEAD` after one spec was added to the committed workspace (a tenant onboarding): the project
 * registration lists it; the chart's input is unchanged, so plan builds no chart. It must report that
 * project's objects and, of the platform, the registration's ConfigMap and Job replaced (no Deployment:
 * Flyte does not restart).
 */
async function planOneAdded(ws: string, specs: GeneratedSpec[]): Promise<Summary> {
  git(ws, 'checkout', '-q', '--', '.'); // the change of the measures before is not part of this one
  const added = addOneSpec(ws, specs, 0);
  const id = added.replace(/^projects\/|\.[a-z]+$/g, '');
  check(await measure(...cli(ws, ['render'])), 'render after adding a spec');
  const summary = await repeat(repeats, 'plan --base HEAD, 1 spec added', async () => {
    const run = check(await measure(...cli(ws, ['plan', '--base', 'HEAD', '--format', 'json'])), 'plan');
    const changes = (JSON.parse(run.stdout) as { changes: { project: string | null; kind: string; name: string }[] })
      .changes;
    const others = changes.filter((c) => c.project !== id).map((c) => `${c.project ?? 'platform'} ${c.kind} ${c.name}`);
    const registration = /^platform (ConfigMap|Job) flyte-project-registration-[0-9a-f]{10}$/;
    if (others.length !== 4 || !others.every((o) => registration.test(o)))
      throw new Error(
        `plan after adding ${added} reports, beside ${id}: ` +
          `${JSON.stringify(others)}, not the project registration's ConfigMap and Job replaced`,
      );
    return run;
  });
  rmSync(join(ws, added));
  check(await measure(...cli(ws, ['render'])), 'render after removing the added spec');
  return summary;
}

interface SizeResult {
  projects: number;
  specFiles: Record<string, number>;
  renderedFiles: number;
  /** the size of the rendered .github/CODEOWNERS */
  codeownersBytes: number;
  manifestFiles: number;
  kubernetesResources: number;
  kubeconformChunksInGate: number;
  /** no clusters/ and no caches: the first render of a new repository */
  renderFromScratch: Summary;
  /** clusters/ up to date (as committed), no caches: the first render on a fresh clone */
  renderFreshClone: Summary;
  /** clusters/ up to date, caches filled */
  render: Summary;
  /** one new spec (a tenant onboarding), then render */
  renderOneAdded: Summary;
  /** clusters/ up to date, no caches: the full gate as CI runs it on a clean clone */
  validateCold: Summary;
  /** clusters/ up to date, caches filled (as a render leaves them) */
  validate: Summary;
  kubeconformAlone: Summary;
  /** validateCold ÷ kubeconformAlone, pair by pair (they run in turns), and their median */
  gateOverhead: { runs: number[]; median: number };
  /** in-process: the parts once (renderClusterMs the median of `repeats` runs), renderWorkspace and runGate once */
  stagesMs: Record<StageName, number> & {
    renderInProcessMs: number;
    validateInProcessMs: number;
    renderClusterRunsMs: number[];
    lintByRuleMs: Record<string, number>;
  };
  nxAffected: NxResult;
  /** `plan --base HEAD` after one spec changed and was rendered */
  plan: Summary;
  /** `plan --base HEAD` after one spec was added and rendered: the project registration replaced */
  planAdded: Summary;
}

async function benchSize(base: string, projects: number): Promise<SizeResult> {
  const ws = join(base, `workspace-${projects}`);
  log(`${projects} projects: generating ${relative(process.cwd(), ws) || ws}`);
  const specs = await createWorkspace(repoRoot, ws, projects);
  const specFiles: Record<string, number> = {};
  for (const s of specs) {
    const ext = s.file.split('.').pop()!;
    specFiles[ext] = (specFiles[ext] ?? 0) + 1;
  }

  check(await measure(...cli(ws, ['--help'])), 'building the CLI bundle'); // once per checkout, not timed
  const render = () => measure(...cli(ws, ['render']));
  const validate = () => measure(...cli(ws, ['validate']));
  const renderFromScratch = await repeat(repeats, 'render from scratch (no clusters/, no caches)', () => {
    setAside(base, join(ws, 'clusters'));
    clearCaches(ws);
    return render();
  });
  const renderFreshClone = await repeat(repeats, 'render on a fresh clone (clusters/ up to date, no caches)', () => {
    clearCaches(ws);
    return render();
  });
  const renderUnchanged = await repeat(repeats, 'render, nothing changed', render);
  // Past 3 MB GitHub reads no owner at all from CODEOWNERS.
  const codeownersBytes = statSync(join(ws, codeownersPath)).size;
  log(
    `  ${codeownersPath}: ` +
      `${codeownersBytes} bytes (${round((codeownersBytes / githubCodeownersLimit) * 100, 2)}% of 3 MB)`,
  );
  let serial = 0;
  const renderOneAdded = await repeat(repeats, 'render, one spec added (onboarding)', async () => {
    const added = addOneSpec(ws, specs, ++serial);
    const run = await render();
    rmSync(join(ws, added));
    check(await render(), 'render after removing the added spec');
    return run;
  });
  const stages: StageTimes = await timeStages(ws, repeats);
  const stagesMs = {
    ...(Object.fromEntries(stageNames.map((name) => [name, round(stages[name])])) as Record<StageName, number>),
    renderInProcessMs: round(stages.renderInProcessMs),
    validateInProcessMs: round(stages.validateInProcessMs),
    renderClusterRunsMs: stages.renderClusterRunsMs.map((v) => round(v)),
    lintByRuleMs: Object.fromEntries(Object.entries(stages.lintByRuleMs).map(([id, v]) => [id, round(v)])),
  };
  log(
    `  in-process: renderWorkspace ${ms(stagesMs.renderInProcessMs)}, ` +
      `runGate ${ms(stagesMs.validateInProcessMs)}; parts: ` +
      `${stageNames.map((n) => `${n.replace(/Ms$/, '')} ${ms(stagesMs[n])}`).join(', ')}`,
  );

  const { manifests } = stages;
  const charts = await renderChartForKubeconform(ws); // not timed: kubeconform alone is the reference
  // validate without the caches and kubeconform alone take turns, so that both meet the same load on
  // this shared machine: the gate's overhead is the median of the pairs' ratios.
  const coldRuns: Run[] = [];
  const aloneRuns: Run[] = [];
  let resources = 0;
  for (let i = 0; i < repeats; i++) {
    clearCaches(ws);
    coldRuns.push(check(await validate(), 'validate, no caches'));
    const { run, resources: count } = await kubeconformAlone(ws, manifests, charts);
    aloneRuns.push(run);
    resources = count;
  }
  const validateCold = logged('validate, no caches (CI on a clean clone)', summarize(coldRuns));
  const kubeconform = logged('kubeconform alone, in turns with it', summarize(aloneRuns));
  const pairRatios = coldRuns.map((run, i) => round(run.ms / aloneRuns[i].ms, 3));
  log(`  gate ÷ kubeconform alone, run by run: ${pairRatios.map((r) => `${r.toFixed(2)}×`).join(', ')}`);
  check(await render(), 'render to fill the caches again'); // as a developer's last render leaves them
  const validateWarm = await repeat(repeats, 'validate, caches filled', validate);

  const nx = await nxAffected(ws, specs);
  const plan = await planOneChanged(ws, nx.changedSpec);
  const planAdded = await planOneAdded(ws, specs);
  if (!options.keep) rmSync(ws, { recursive: true, force: true });
  return {
    projects,
    specFiles,
    renderedFiles: stages.renderedFiles,
    codeownersBytes,
    manifestFiles: stages.manifestFiles,
    kubernetesResources: resources,
    kubeconformChunksInGate: stages.kubeconformChunks,
    renderFromScratch,
    renderFreshClone,
    render: renderUnchanged,
    renderOneAdded,
    validateCold,
    validate: validateWarm,
    kubeconformAlone: kubeconform,
    gateOverhead: { runs: pairRatios, median: round(median(pairRatios), 3) },
    stagesMs,
    nxAffected: nx,
    plan,
    planAdded,
  };
}

function versionOf(command: string, args: string[], cwd: string): string | undefined {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim().split('\n')[0] : undefined;
}

function machineFacts() {
  const cpuList = cpus();
  const readText = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined);
  const pkg = (name: string) =>
    (JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
      .version;
  return {
    cpus: cpuList.length,
    availableParallelism: availableParallelism(),
    cpuModel: cpuList[0]?.model,
    node: process.version,
    platform: `${osPlatform()} ${arch()}`,
    totalMemoryGiB: round(totalmem() / 2 ** 30),
    kubeconform: readText(join(repoRoot, '.tools/bin/kubeconform.version')),
    nx: pkg('nx'),
    tsx: pkg('tsx'),
    git: versionOf('git', ['--version'], repoRoot),
    peakMemorySource: hasGnuTime
      ? '/usr/bin/time -v (max RSS of the child process tree)'
      : 'process.resourceUsage().maxRSS of the node child',
  };
}

/** Read-only: which code was measured. */
function repoState() {
  const commit = versionOf('git', ['rev-parse', 'HEAD'], repoRoot);
  const dirty = versionOf(
    'git',
    ['status', '--porcelain', '--', 'libs', 'tools/cli', 'tools/nx-plugin', 'platform'],
    repoRoot,
  );
  return { commit, uncommittedChangesInMeasuredCode: Boolean(dirty) };
}

interface Target {
  id: string;
  description: string;
  value: string;
  limit: string;
  /** null: shown for information, not a target at this size */
  pass: boolean | null;
}

function perProject(sizesResult: SizeResult[], pick: (s: SizeResult) => number) {
  return Object.fromEntries(sizesResult.map((s) => [s.projects, round(pick(s) / s.projects, 3)]));
}

/**
 * (cost at the larger size − cost at the smaller) ÷ projects added: the per-project cost without the fixed start-up.
 */
function marginal(sizesResult: SizeResult[], pick: (s: SizeResult) => number) {
  const sorted = [...sizesResult].sort((a, b) => a.projects - b.projects);
  return Object.fromEntries(
    sorted
      .slice(1)
      .map((s, i) => [
        `${sorted[i].projects}→${s.projects}`,
        round((pick(s) - pick(sorted[i])) / (s.projects - sorted[i].projects), 3),
      ]),
  );
}

function growthRatio(sizesResult: SizeResult[], pick: (s: SizeResult) => number): number | undefined {
  const at = (n: number) => sizesResult.find((s) => s.projects === n);
  const [s100, s1000] = [at(100), at(1000)];
  if (!s100 || !s1000) return undefined;
  return round(pick(s1000) / 1000 / (pick(s100) / 100), 2);
}

const measures: { key: string; label: string; pick: (s: SizeResult) => number; linearTarget: boolean }[] = [
  {
    key: 'renderOneAdded',
    label: 'render, one spec added (onboarding)',
    pick: (s) => s.renderOneAdded.medianMs,
    linearTarget: true,
  },
  { key: 'render', label: 'render, nothing changed', pick: (s) => s.render.medianMs, linearTarget: true },
  {
    key: 'renderFreshClone',
    label: 'render on a fresh clone, no caches',
    pick: (s) => s.renderFreshClone.medianMs,
    linearTarget: true,
  },
  {
    key: 'renderFromScratch',
    label: 'render from scratch, no clusters/',
    pick: (s) => s.renderFromScratch.medianMs,
    linearTarget: true,
  },
  {
    key: 'renderCluster',
    label: '  renderCluster, in-process',
    pick: (s) => s.stagesMs.renderClusterMs,
    linearTarget: true,
  },
  {
    key: 'validateCold',
    label: 'validate, no caches (full gate)',
    pick: (s) => s.validateCold.medianMs,
    linearTarget: true,
  },
  { key: 'validate', label: 'validate, caches filled', pick: (s) => s.validate.medianMs, linearTarget: true },
  {
    key: 'kubeconformAlone',
    label: 'kubeconform alone, same files',
    pick: (s) => s.kubeconformAlone.medianMs,
    linearTarget: false,
  },
  {
    key: 'nxAffectedWarm',
    label: 'nx affected, 1 spec changed, warm',
    pick: (s) => s.nxAffected.warm.medianMs,
    linearTarget: false,
  },
  {
    key: 'nxAffectedCold',
    label: 'nx affected, 1 spec changed, cold (1 run)',
    pick: (s) => s.nxAffected.cold.medianMs,
    linearTarget: false,
  },
  { key: 'plan', label: 'plan --base, 1 spec changed', pick: (s) => s.plan.medianMs, linearTarget: false },
  {
    key: 'planAdded',
    label: 'plan --base, 1 spec added',
    pick: (s) => s.planAdded.medianMs,
    linearTarget: false,
  },
  {
    key: 'renderInProcess',
    label: '  render in-process (renderWorkspace)',
    pick: (s) => s.stagesMs.renderInProcessMs,
    linearTarget: true,
  },
  {
    key: 'validateInProcess',
    label: '  validate in-process (runGate)',
    pick: (s) => s.stagesMs.validateInProcessMs,
    linearTarget: true,
  },
];
const linearityLimit = 1.25;

/**
 * Targets are ratios to kubeconform alone on the same workspace in the same run: the machine's speed
 * (and this shared machine's load) moves both sides, so the ratio holds where seconds do not. Each is
 * printed with the seconds beside it, and judged at the largest size (at 10 projects start-up outweighs
 * everything).
 */
const ratioTargets: {
  id: string;
  description: string;
  pick: (s: SizeResult) => number;
  limit?: number;
}[] = [
  {
    id: 'render-one-added',
    description: 'render, one spec added (onboarding)',
    pick: (s) => s.renderOneAdded.medianMs,
    limit: 0.35,
  },
  { id: 'render-unchanged', description: 'render, nothing changed', pick: (s) => s.render.medianMs, limit: 0.25 },
  {
    id: 'render-fresh-clone',
    description: 'render on a fresh clone (clusters/ as committed, no caches)',
    pick: (s) => s.renderFreshClone.medianMs,
  },
  {
    id: 'render-from-scratch',
    description: 'render from scratch (no clusters/, no caches)',
    pick: (s) => s.renderFromScratch.medianMs,
  },
  {
    id: 'nx-affected-warm',
    description: 'nx affected -t validate, one spec changed, warm (wall incl. Nx start-up)',
    pick: (s) => s.nxAffected.warm.medianMs,
    limit: 0.7,
  },
  {
    id: 'nx-affected-cold',
    description: 'nx affected -t validate, one spec changed, cold (no .nx/)',
    pick: (s) => s.nxAffected.cold.medianMs,
  },
  { id: 'plan', description: 'plan --base HEAD, one spec changed', pick: (s) => s.plan.medianMs },
  { id: 'plan-added', description: 'plan --base HEAD, one spec added', pick: (s) => s.planAdded.medianMs, limit: 0.7 },
  {
    id: 'gate-overhead',
    description: 'validate, no caches (the full gate)',
    pick: (s) => s.validateCold.medianMs,
    limit: 1.3,
  },
  { id: 'gate-overhead-cached', description: 'validate, caches filled', pick: (s) => s.validate.medianMs },
];

const seconds = (milliseconds: number) => `${round(milliseconds / 1000, 2)} s`;

function evaluateTargets(results: SizeResult[]): Target[] {
  const largest = Math.max(...results.map((s) => s.projects));
  const targets: Target[] = [];
  for (const s of results) {
    const alone = s.kubeconformAlone.medianMs;
    for (const { id, description, pick, limit } of ratioTargets) {
      // The gate's own ratio is taken pair by pair (validate and kubeconform in turns), its median.
      const ratio = id === 'gate-overhead' ? s.gateOverhead.median : pick(s) / alone;
      targets.push({
        id: `${id}-${s.projects}`,
        description:
          `${description} ÷ kubeconform alone, ${s.projects} projects: ` +
          `${seconds(pick(s))} against ${seconds(alone)}`,
        value: `${round(ratio, 2)}×`,
        limit: limit === undefined ? 'none' : `≤ ${limit}×`,
        pass: limit === undefined || s.projects !== largest ? null : ratio <= limit,
      });
    }
  }
  for (const s of results)
    targets.push({
      id: `codeowners-size-${s.projects}`,
      description: `${codeownersPath} of ${s.projects} projects (GitHub reads no owner from a file over 3 MB)`,
      value: `${s.codeownersBytes} bytes`,
      limit: '≤ 10% of 3 MB',
      pass: s.codeownersBytes <= githubCodeownersLimit / 10,
    });
  const peaks = results
    .flatMap((s) =>
      [
        s.renderFromScratch,
        s.renderFreshClone,
        s.render,
        s.renderOneAdded,
        s.validateCold,
        s.validate,
        s.plan,
        s.planAdded,
      ].map((m) => m.maxRssMiB),
    )
    .filter((v): v is number => v !== undefined);
  if (peaks.length > 0) {
    const peak = Math.max(...peaks);
    targets.push({
      id: 'peak-memory',
      description: 'peak memory (max RSS) of render, validate and plan, any size',
      value: `${Math.round(peak)} MiB`,
      limit: `≤ ${peakMemoryLimitMiB} MiB`,
      pass: peak <= peakMemoryLimitMiB,
    });
  }
  for (const m of measures) {
    const ratio = growthRatio(results, m.pick);
    if (ratio !== undefined) {
      targets.push({
        id: `linear-${m.key}`,
        description: `linear growth: per-project cost at 1,000 ÷ at 100, ${m.label.trim()}`,
        value: `${ratio}×`,
        limit: `≤ ${linearityLimit}×`,
        pass: m.linearTarget ? ratio <= linearityLimit : null,
      });
    }
  }
  return targets;
}

function table(results: SizeResult[]): string {
  const blank = () => results.map(() => '');
  const header = [
    `measure (median of ${repeats})`,
    ...results.map((s) => `${s.projects} proj`),
    ...results.map((s) => `per proj @${s.projects}`),
    '1000÷100',
  ];
  const rows: string[][] = [];
  for (const m of measures) {
    const ratio = growthRatio(results, m.pick);
    rows.push([
      m.label,
      ...results.map((s) => ms(m.pick(s))),
      ...results.map((s) => ms(m.pick(s) / s.projects)),
      ratio === undefined ? '' : `${ratio}×`,
    ]);
  }
  const cpu = (v?: number) => (v === undefined ? 'n/a' : ms(v));
  rows.push([
    'render one added, CPU (user+sys)',
    ...results.map((s) => cpu(s.renderOneAdded.cpuMedianMs)),
    ...blank(),
    '',
  ]);
  rows.push(['render fresh clone, CPU', ...results.map((s) => cpu(s.renderFreshClone.cpuMedianMs)), ...blank(), '']);
  rows.push(['render from scratch, CPU', ...results.map((s) => cpu(s.renderFromScratch.cpuMedianMs)), ...blank(), '']);
  rows.push(['validate no cache, CPU', ...results.map((s) => cpu(s.validateCold.cpuMedianMs)), ...blank(), '']);
  rows.push(['kubeconform alone, CPU', ...results.map((s) => cpu(s.kubeconformAlone.cpuMedianMs)), ...blank(), '']);
  rows.push([
    'gate ÷ kubeconform alone, no cache',
    ...results.map((s) => `${s.gateOverhead.median.toFixed(2)}×`),
    ...blank(),
    '',
  ]);
  rows.push([
    'gate ÷ kubeconform alone, cached',
    ...results.map((s) => `${(s.validate.medianMs / s.kubeconformAlone.medianMs).toFixed(2)}×`),
    ...blank(),
    '',
  ]);
  const rss = (v?: number) => (v === undefined ? 'n/a' : `${Math.round(v)} MiB`);
  rows.push([
    'peak RSS render from scratch',
    ...results.map((s) => rss(s.renderFromScratch.maxRssMiB)),
    ...blank(),
    '',
  ]);
  rows.push(['peak RSS validate no cache', ...results.map((s) => rss(s.validateCold.maxRssMiB)), ...blank(), '']);
  rows.push(['peak RSS nx affected', ...results.map((s) => rss(s.nxAffected.warm.maxRssMiB)), ...blank(), '']);
  rows.push([
    'rendered files / manifests',
    ...results.map((s) => `${s.renderedFiles}/${s.manifestFiles}`),
    ...blank(),
    '',
  ]);
  rows.push(['Kubernetes resources', ...results.map((s) => String(s.kubernetesResources)), ...blank(), '']);
  rows.push(['kubeconform runs in the gate', ...results.map((s) => String(s.kubeconformChunksInGate)), ...blank(), '']);
  rows.push(['in-process parts (one pass)', ...blank(), ...blank(), '']);
  for (const n of stageNames) {
    const ratio = growthRatio(results, (s) => s.stagesMs[n]);
    rows.push([
      `  ${n.replace(/Ms$/, '')}`,
      ...results.map((s) => ms(s.stagesMs[n])),
      ...results.map((s) => ms(s.stagesMs[n] / s.projects)),
      ratio === undefined ? '' : `${ratio}×`,
    ]);
    if (n === 'lintMs') {
      // The rules that cost something at the largest size.
      const last = results[results.length - 1];
      const costly = Object.entries(last.stagesMs.lintByRuleMs)
        .filter(([, v]) => v >= Math.max(50, last.stagesMs.lintMs * 0.05))
        .sort((a, b) => b[1] - a[1]);
      for (const [id] of costly) {
        const pick = (s: SizeResult) => s.stagesMs.lintByRuleMs[id] ?? 0;
        const r = growthRatio(results, pick);
        rows.push([
          `    ${id}`,
          ...results.map((s) => ms(pick(s))),
          ...results.map((s) => ms(pick(s) / s.projects)),
          r === undefined ? '' : `${r}×`,
        ]);
      }
    }
  }
  return formatTable([header, ...rows]);
}

function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map(
      (r, ri) =>
        r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ') +
        (ri === 0 ? `\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : ''),
    )
    .join('\n');
}

async function main() {
  const started = Date.now();
  const loadBefore = loadavg().map((v) => round(v, 2));
  const repo = repoState(); // at the start: the workspaces copy the code as it is now
  const base = mkdtempSync(join(tmpdir(), 'flyte-gkp-bench-'));
  log(
    `workspaces under ${base}; sizes ${sizes.join(', ')}; ${repeats} runs each; load average ${loadBefore.join(' ')}`,
  );
  const results: SizeResult[] = [];
  try {
    for (const n of sizes) results.push(await benchSize(base, n));
  } finally {
    rmSync(join(base, setAsideDir), { recursive: true, force: true });
    if (!options.keep) rmSync(base, { recursive: true, force: true });
  }
  const targets = evaluateTargets(results);
  const output = {
    generatedAt: new Date().toISOString(),
    command: 'npm run bench',
    durationS: round((Date.now() - started) / 1000),
    machine: { ...machineFacts(), loadAverageBefore: loadBefore, loadAverageAfter: loadavg().map((v) => round(v, 2)) },
    repo,
    method: {
      repeats,
      statistic: 'median of the runs; every run is listed in runsMs',
      timer: 'wall clock from spawn to exit (performance.now in the bench process)',
      renderFromScratch:
        '`node tools/cli/run.mjs render` (what `npm run render` runs after its setup pre-hook) with no clusters/ ' +
        '(set aside, not deleted: creating files right after a mass deletion is 5-8 times slower on this disk) ' +
        'and no caches (.tools/cache removed)',
      renderFreshClone: 'the same with clusters/ up to date (as committed) and no caches: a fresh clone',
      render: 'the same, clusters/ up to date and the caches filled: nothing to write',
      renderOneAdded: 'the same after adding one new spec (a tenant onboarding): its files and the Flyte values change',
      validateCold:
        '`node tools/cli/run.mjs validate` on an up-to-date workspace without the caches ' +
        '(schema, lint, kubeconform on every manifest, drift): CI on a clean clone',
      validate: 'the same with the caches a render leaves',
      kubeconformAlone:
        "the kubeconform binary run directly, once, with the wrapper's flags on every rendered manifest " +
        '(cwd: the workspace), in turns with validateCold (validate, kubeconform, validate, …)',
      gateOverhead:
        'validateCold ÷ kubeconformAlone for each pair of runs made one after the other; ' +
        'the target takes their median',
      nxAffected:
        '`npx nx affected -t validate --base=HEAD` after one spec changed and was rendered, ' +
        'in a git repository; NX_DAEMON=false NX_NO_CLOUD=true; cold = no .nx/, warm = right after a run',
      plan:
        '`node tools/cli/run.mjs plan --base HEAD --format json` right after: ' +
        'the changed spec rendered, not committed; every change it reports must be of that project',
      planAdded:
        'the same after that change is undone and one spec added and rendered: ' +
        "its project's objects and the project registration's ConfigMap and Job replaced (no chart built)",
      stages:
        'in the bench process, without start-up: renderWorkspace and runGate once each, ' +
        'and the library calls they are made of, timed apart once (renderCluster: median of the runs)',
      linearity:
        'per-project cost at 1,000 ÷ per-project cost at 100; > 1 means super-linear; ' +
        `target ≤ ${linearityLimit} for render and validate, CLI and in-process, and renderCluster`,
      cpu:
        'user + system CPU time of the child process tree (GNU time), ' +
        'less sensitive to a busy machine than wall time',
    },
    sizes: results,
    perProjectMs: Object.fromEntries(measures.map((m) => [m.key, perProject(results, m.pick)])),
    growth1000vs100: Object.fromEntries(measures.map((m) => [m.key, growthRatio(results, m.pick)])),
    marginalPerProjectMs: Object.fromEntries(measures.map((m) => [m.key, marginal(results, m.pick)])),
    targets,
  };
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(output, null, 2)}\n`);

  console.log(
    `\nflyte-gkp bench: ${output.machine.cpus} CPUs (${output.machine.cpuModel}), ` +
      `node ${output.machine.node}, kubeconform ${output.machine.kubeconform}, nx ${output.machine.nx}; ` +
      `load average ${loadBefore.join(' ')} → ${output.machine.loadAverageAfter.join(' ')}\n`,
  );
  console.log(table(results));
  console.log('\ntargets:');
  for (const t of targets)
    console.log(`  ${t.pass === null ? 'info' : t.pass ? 'PASS' : 'FAIL'}  ${t.description}: ${t.value} (${t.limit})`);
  console.log(`\nresults: ${relative(process.cwd(), options.out) || options.out} (${output.durationS} s)`);
}

// No process.exit: the results printed so far drain before the process ends.
main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
