// The project registration against flyteadmin v0.6.13's API contract: the program and the projects of
// the RENDERED ConfigMap (read back as Kubernetes reads YAML), run with the Job's own command and
// environment by a real Python, against libs/render/fixtures/flyteadmin_projects.py, which keeps
// flyteadmin's observed behaviour and parses every request body strictly with flyteidl 0.19.7's
// messages (installed by `npm run setup` from PyPI, pinned in tools/toolchain.json).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { loadPlatform, type Platform } from '@flyte-gkp/platform';
import { diskSource, loadProjectText } from '@flyte-gkp/project-spec';
import { clusterPaths } from './argocd.js';
import { renderCluster, type ProjectInput } from './render.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const flyteidl = join(repoRoot, '.tools/python/flyteidl');
const fakeFlyteadmin = fileURLToPath(new URL('../fixtures/flyteadmin_projects.py', import.meta.url));
const label = { 'managed-by': 'flyte-gkp' };

let platform: Platform;
let scratch: string;

beforeAll(async () => {
  if (!existsSync(join(flyteidl, 'flyteidl/admin/project_pb2.py')))
    throw new Error(`flyteidl is not installed at ${flyteidl}: run \`npm run setup\``);
  const loaded = await loadPlatform(diskSource(repoRoot));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  platform = loaded.platform;
  scratch = await mkdtemp(join(tmpdir(), 'project-registration-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** A spec as a tenant writes it (JSON, so any text goes in verbatim). */
function spec(id: string, fields: Record<string, unknown> = {}): ProjectInput {
  const file = `projects/${id}.json`;
  const text = JSON.stringify({
    apiVersion: 'flytepoc.gkp.io/v1alpha1',
    kind: 'FlyteProject',
    id,
    displayName: `Project ${id.toUpperCase()}`,
    owners: [{ group: `team-${id}`, role: 'admin' }],
    storage: { bucket: `103020-flytepoc-${id}`, credentialsSecret: `mercury-${id}` },
    ...fields,
  });
  const loaded = loadProjectText(file, text);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  return { ...loaded.value, file };
}

type K8sObject = Record<string, any>; // parsed YAML

/** The registration's objects as the API server reads the rendered file (YAML 1.1). */
function registration(specs: ProjectInput[]): K8sObject[] {
  const loaded = platform.clusters[0];
  const file = renderCluster(loaded, platform.pins, specs).find(
    (f) => f.path === clusterPaths(loaded.cluster).projectRegistration,
  )!;
  return parseAllDocuments(file.content, { version: '1.1' }).map((d) => d.toJS() as K8sObject);
}
const ofKind = (objects: K8sObject[], kind: string) => objects.find((o) => o.kind === kind)!;

interface Scenario {
  projects?: object[];
  unavailable?: number;
  bad_list?: boolean;
  hide_from_list?: string[];
  port?: number;
}
interface Recorded {
  method: string;
  path: string;
  query: Record<string, string[]>;
  body?: Record<string, any>; // request bodies
}
interface Outcome {
  exitCode: number | null;
  log: string[];
  projects: Record<string, any>[]; // Project JSON
  requests: Recorded[];
}

let runs = 0;

async function startFlyteadmin(scenario: Scenario): Promise<{ port: number; process: ChildProcess; file: string }> {
  const file = join(scratch, `scenario-${++runs}.json`);
  await writeFile(file, JSON.stringify(scenario));
  const server = spawn('python3', [fakeFlyteadmin, file], {
    env: { PATH: process.env.PATH, PYTHONPATH: flyteidl, PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION: 'python' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = await new Promise<string[]>((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`the fake flyteadmin exited (${code})`)));
    createInterface({ input: server.stdout! }).once('line', (l) => resolve([l]));
  });
  return { port: Number(line), process: server, file };
}

async function stopFlyteadmin(server: { process: ChildProcess; file: string }) {
  const exited = new Promise((resolve) => server.process.once('exit', resolve));
  server.process.kill('SIGTERM');
  await exited;
  return JSON.parse(await readFile(`${server.file}.out`, 'utf8')) as Pick<Outcome, 'projects' | 'requests'>;
}

/** The Job's container, run as the Job runs it: its command, its environment, the ConfigMap's files mounted. */
async function runJob(objects: K8sObject[], url: string, waitSeconds = 10) {
  const job = ofKind(objects, 'Job');
  const configMap = ofKind(objects, 'ConfigMap');
  const mount = await mkdtemp(join(scratch, 'mount-'));
  for (const [name, content] of Object.entries<string>(configMap.data)) await writeFile(join(mount, name), content);
  const container = job.spec.template.spec.containers[0];
  const { mountPath } = container.volumeMounts[0];
  const [command, ...args] = (container.command as string[]).map((a) => a.replace(mountPath, mount));
  const env = Object.fromEntries((container.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH, ...env, FLYTEADMIN_URL: url, WAIT_SECONDS: String(waitSeconds) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { exitCode, log: output.trimEnd().split('\n') };
}

/** One run of the Job against a flyteadmin in the given state. */
async function register(specs: ProjectInput[], scenario: Scenario = {}): Promise<Outcome> {
  const server = await startFlyteadmin(scenario);
  const run = await runJob(registration(specs), `http://127.0.0.1:${server.port}`);
  return { ...run, ...(await stopFlyteadmin(server)) };
}

const writes = (o: Outcome) => o.requests.filter((r) => r.method !== 'GET');
const byId = (o: Outcome) => Object.fromEntries(o.projects.map((p) => [p.id, p]));
/** What `seed-projects` left in flyteadmin before this repository registered projects through the API. */
const seeded = (id: string) => ({ id, name: id, description: `${id} description` });

describe('registering the specs', () => {
  it('registers each new project with its display name, description and our label, one log line each', async () => {
    const run = await register([spec('x', { description: 'Demand forecasting.' }), spec('y')]);
    expect(run.exitCode).toBe(0);
    expect(byId(run)).toEqual({
      x: { id: 'x', name: 'Project X', description: 'Demand forecasting.', labels: { values: label } },
      y: { id: 'y', name: 'Project Y', labels: { values: label } },
    });
    expect(writes(run).map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/v1/projects', 'POST /api/v1/projects']);
    expect(run.log.filter((l) => l.startsWith('project '))).toEqual([
      'project x: registered as "Project X"',
      'project y: registered as "Project Y"',
    ]);
  });

  it(
    'takes over a project that exists ' + '(seeded by the former init container): ' + 'renamed, described, labelled',
    async () => {
      const run = await register([spec('x', { description: 'Demand forecasting.' })], { projects: [seeded('x')] });
      expect(run.exitCode).toBe(0);
      expect(byId(run).x).toEqual({
        id: 'x',
        name: 'Project X',
        description: 'Demand forecasting.',
        labels: { values: label },
      });
      expect(writes(run).map((r) => `${r.method} ${r.path}`)).toEqual(['PUT /api/v1/projects/x']);
      expect(run.log).toContain('project x: updated to "Project X"');
    },
  );

  it(
    'answers "already exists" (409, a project the list did not show) ' + 'with an update of the whole project',
    async () => {
      const run = await register([spec('x')], { projects: [seeded('x')], hide_from_list: ['x'] });
      expect(run.exitCode).toBe(0);
      expect(writes(run).map((r) => `${r.method} ${r.path}`)).toEqual([
        'POST /api/v1/projects',
        'PUT /api/v1/projects/x',
      ]);
      expect(writes(run)[1].body).toEqual({ id: 'x', name: 'Project X', description: '', labels: { values: label } });
      expect(byId(run).x.name).toBe('Project X');
    },
  );

  it('is idempotent: a second run against what the first left changes nothing', async () => {
    const specs = [spec('x', { description: 'Demand forecasting.' }), spec('y')];
    const first = await register(specs);
    const second = await register(specs, { projects: first.projects });
    expect(second.exitCode).toBe(0);
    expect(writes(second)).toEqual([]);
    expect(second.projects).toEqual(first.projects);
    expect(second.log.filter((l) => l.startsWith('project '))).toEqual([
      'project x: unchanged (active)',
      'project y: unchanged (active)',
    ]);
  });
});

describe('archiving', () => {
  const ours = (id: string, extra: object = {}) => ({ ...seeded(id), labels: { values: label }, ...extra });

  it('archives a project of ours that no spec lists, keeping its name, description and label', async () => {
    const run = await register([spec('x')], { projects: [ours('x'), ours('gone', { name: 'Gone' })] });
    expect(run.exitCode).toBe(0);
    expect(byId(run).gone).toEqual({ ...ours('gone', { name: 'Gone' }), state: 'ARCHIVED' });
    expect(run.log).toContain('project gone: archived: no spec lists it any more');
  });

  it('archives a project whose every domain is decommissioned, and nothing else of it changes', async () => {
    const decommissioned = { 'd-dev': { decommission: true }, 'p-dev': { decommission: true } };
    const run = await register([spec('x', { domains: decommissioned })], { projects: [ours('x')] });
    expect(run.exitCode).toBe(0);
    expect(byId(run).x.state).toBe('ARCHIVED');
    expect(run.log).toContain('project x: archived: every domain is decommissioned');
  });

  it('keeps a project with one live domain active', async () => {
    const domains = { 'd-dev': { decommission: true }, 'p-dev': {} };
    const run = await register([spec('x', { domains })], { projects: [ours('x', { name: 'Project X' })] });
    expect(byId(run).x.state).toBeUndefined();
    expect(writes(run)).toEqual([]);
  });

  it('re-activates an archived project whose spec is back: the update carries no state', async () => {
    const run = await register([spec('x')], { projects: [ours('x', { state: 'ARCHIVED' })] });
    expect(run.exitCode).toBe(0);
    const [update] = writes(run);
    expect(update.body).not.toHaveProperty('state');
    expect(byId(run).x).toEqual({
      id: 'x',
      name: 'Project X',
      description: 'x description',
      labels: { values: label },
    });
    expect(run.log).toContain('project x: re-activated as "Project X"');
    // The archived ones are listed with flyteadmin's numeric filter (enum names do not work there).
    expect(run.requests.filter((r) => r.method === 'GET').map((r) => r.query.filters?.[0])).toEqual([
      undefined,
      'eq(state,1)',
    ]);
  });

  it('never touches a project without our label, listed by no spec, active or archived', async () => {
    const foreign = [
      { id: 'flytesnacks', name: 'flytesnacks', description: 'flytesnacks description' },
      { id: 'handmade', name: 'Hand made', labels: { values: { team: 'other' } }, state: 'ARCHIVED' },
    ];
    const run = await register([spec('x')], { projects: foreign });
    expect(run.exitCode).toBe(0);
    expect(writes(run).map((r) => r.path)).toEqual(['/api/v1/projects']);
    expect(byId(run).flytesnacks).toEqual(foreign[0]);
    expect(byId(run).handmade).toEqual(foreign[1]);
    expect(run.log.join('\n')).not.toMatch(/flytesnacks|handmade/);
    expect(run.log.at(-1)).toBe('1 project(s) of specs, 2 not labelled managed-by=flyte-gkp left alone, 0 failed');
  });
});

describe('when flyteadmin is not there yet, or answers badly', () => {
  it('retries with backoff while flyteadmin answers 503, then registers', async () => {
    const run = await register([spec('x')], { unavailable: 2 });
    expect(run.exitCode).toBe(0);
    expect(run.log.filter((l) => l.startsWith('flyteadmin not reachable yet'))).toEqual([
      'flyteadmin not reachable yet (HTTP 503): next try in 1 s',
      'flyteadmin not reachable yet (HTTP 503): next try in 2 s',
    ]);
    expect(byId(run).x.name).toBe('Project X');
  });

  it('waits for a flyteadmin that is not listening yet, then registers once it is', async () => {
    const probe = await startFlyteadmin({});
    const { port } = probe;
    await stopFlyteadmin(probe);
    const job = runJob(registration([spec('x')]), `http://127.0.0.1:${port}`, 30);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const server = await startFlyteadmin({ port });
    const run = await job;
    const state = await stopFlyteadmin(server);
    expect(run.exitCode).toBe(0);
    expect(run.log[0]).toMatch(/^flyteadmin not reachable yet \(.*[Cc]onnection refused.*\): next try in 1 s$/);
    expect(state.projects.map((p) => p.name)).toEqual(['Project X']);
  });

  it('gives up after WAIT_SECONDS with a non-zero exit and the last error, no stack trace', async () => {
    const probe = await startFlyteadmin({});
    await stopFlyteadmin(probe);
    const run = await runJob(registration([spec('x')]), `http://127.0.0.1:${probe.port}`, 2);
    expect(run.exitCode).toBe(1);
    expect(run.log.at(-1)).toMatch(
      /^cannot list flyteadmin's projects: flyteadmin at .* did not answer GET .* within 2 s/,
    );
    expect(run.log.join('\n')).not.toContain('Traceback');
  });

  it("fails on an answer that is not flyteadmin's, naming it, without a stack trace", async () => {
    const run = await register([spec('x')], { bad_list: true });
    expect(run.exitCode).toBe(1);
    expect(run.log.at(-1)).toMatch(
      /^cannot list flyteadmin's projects: GET \/api\/v1\/projects.*not JSON.*not flyteadmin/,
    );
    expect(writes(run)).toEqual([]);
    expect(run.log.join('\n')).not.toContain('Traceback');
  });

  it(
    "fails the run with the API's own message " + 'when flyteadmin refuses a project, and still does the others',
    async () => {
      const tooLong = 'd'.repeat(301); // the spec allows it; flyteadmin v0.6.13 takes 300 at most
      const run = await register([spec('a', { description: tooLong }), spec('b')]);
      expect(run.exitCode).toBe(1);
      expect(run.log).toContain(
        'project a: FAILED: POST /api/v1/projects: HTTP 400: project_description cannot exceed 300 characters',
      );
      expect(byId(run).b.name).toBe('Project B');
      expect(run.log.at(-1)).toBe('2 project(s) of specs, 0 not labelled managed-by=flyte-gkp left alone, 1 failed');
    },
  );
});

describe('hostile display names and descriptions', () => {
  const hostile = [
    { displayName: `"; rm -rf / #'$(id)\`id\``, description: "'; DROP TABLE projects; --" },
    { displayName: '{{ .Values.x }} ${HOME} %s %(x)s', description: 'line\n---\nkind: Secret\n# not a comment' },
    { displayName: '- [a, b]: &x *x !!python/object:os.system', description: '\\u0000 \\n "}], "x": {"' },
    { displayName: 'Prøjekt ✓ 中文 \u200b', description: '\ttabbed\n\nnull: ~\ny: n' },
  ];
  const specs = hostile.map((fields, i) => spec(`h${i}`, fields));

  it('reach flyteadmin byte for byte, through YAML, JSON and the program, as inert text', async () => {
    const run = await register(specs);
    expect(run.exitCode).toBe(0);
    expect(run.projects.map((p) => ({ displayName: p.name, description: p.description }))).toEqual(hostile);
    // One line per project, whatever its text holds.
    expect(run.log.filter((l) => l.startsWith('project '))).toHaveLength(hostile.length);
    expect(run.log).toHaveLength(hostile.length + 1);
  });

  // The hostile corpus's cases whose display name and description must come out inert (tests/hostile).
  const corpus = join(repoRoot, 'tests/hostile/corpus');
  const inertCases = readdirSync(corpus)
    .filter((name) => name.startsWith('inert-'))
    .flatMap((name) =>
      readdirSync(join(corpus, name, 'projects')).map((file) => {
        const loaded = loadProjectText(`projects/${file}`, readFileSync(join(corpus, name, 'projects', file), 'utf8'));
        if (!loaded.ok) throw new Error(`${name}: ${JSON.stringify(loaded.diagnostics)}`);
        return [name, { ...loaded.value, file: `projects/${file}` }] as const;
      }),
    );

  it.each(inertCases)(
    '%s of the hostile corpus reaches flyteadmin as the very text of its spec',
    async (_name, input) => {
      const run = await register([input]);
      expect(run.exitCode, run.log.join('\n')).toBe(0);
      expect(run.projects).toEqual([expect.objectContaining({ id: input.spec.id, name: input.spec.displayName })]);
      expect(run.projects[0].description ?? '').toBe(input.spec.description ?? '');
      expect(run.log).toHaveLength(2);
    },
  );

  it('stay out of the Job itself: its command, environment and name are the same for any text', () => {
    const plain = registration([spec('h0')]);
    const objects = registration([specs[0]]);
    const jobOf = (o: K8sObject[]) => ofKind(o, 'Job').spec.template.spec.containers[0];
    expect(jobOf(objects).command).toEqual(jobOf(plain).command);
    expect(jobOf(objects).env).toEqual(jobOf(plain).env);
    expect(JSON.parse(ofKind(objects, 'ConfigMap').data['projects.json']).projects[0].name).toBe(
      hostile[0].displayName,
    );
  });
});

describe('the Job as rendered', () => {
  it('gets a new name exactly when what it registers changes', () => {
    const name = (specs: ProjectInput[]) => ofKind(registration(specs), 'Job').metadata.name as string;
    const base = name([spec('x'), spec('y')]);
    expect(name([spec('y'), spec('x')])).toBe(base);
    expect(name([spec('x', { owners: [{ group: 'other', role: 'admin' }] }), spec('y')])).toBe(base);
    expect(name([spec('x', { domains: { 'd-dev': { quota: { cpu: '2' } } } }), spec('y')])).toBe(base);
    const changed = [
      name([spec('x')]),
      name([spec('x'), spec('y'), spec('z')]),
      name([spec('x', { displayName: 'Renamed' }), spec('y')]),
      name([spec('x', { description: 'Re-described' }), spec('y')]),
      name([spec('x', { domains: { 'd-dev': { decommission: true } } }), spec('y')]),
    ];
    expect(new Set([base, ...changed]).size).toBe(changed.length + 1);
    const configMap = ofKind(registration([spec('x')]), 'ConfigMap');
    expect(ofKind(registration([spec('x')]), 'Job').spec.template.spec.volumes[0].configMap.name).toBe(
      configMap.metadata.name,
    );
  });

  it('runs bounded, unprivileged and without Kubernetes credentials', () => {
    const objects = registration([spec('x')]);
    const job = ofKind(objects, 'Job');
    const pod = job.spec.template.spec;
    const [container] = pod.containers;
    expect(job.spec.backoffLimit).toBeGreaterThan(0);
    expect(job.spec.activeDeadlineSeconds).toBeGreaterThan(
      Number(container.env.find((e: K8sObject) => e.name === 'WAIT_SECONDS').value),
    );
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(container.securityContext.capabilities.drop).toEqual(['ALL']);
    expect(Object.keys(container.resources.requests)).toEqual(expect.arrayContaining(['cpu', 'memory']));
    expect(Object.keys(container.resources.limits)).toEqual(expect.arrayContaining(['cpu', 'memory']));
    const account = ofKind(objects, 'ServiceAccount');
    expect(pod.serviceAccountName).toBe(account.metadata.name);
    expect(account.automountServiceAccountToken).toBe(false);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Job', 'ServiceAccount']);
    const pins = parse(readFileSync(join(repoRoot, 'platform/pins.yaml'), 'utf8'));
    expect(container.image).toBe(`${pins.images.python.repository}:${pins.images.python.tag}`);
  });

  it('uses the flyteidl release the platform pins for its clients', () => {
    const toolchain = JSON.parse(readFileSync(join(repoRoot, 'tools/toolchain.json'), 'utf8'));
    const pins = parse(readFileSync(join(repoRoot, 'platform/pins.yaml'), 'utf8'));
    expect(toolchain.flyteidl.packages).toContain(`flyteidl==${pins.python.flyteidl}`);
  });
});
