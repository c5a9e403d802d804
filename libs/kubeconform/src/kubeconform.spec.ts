// Runs the REAL kubeconform against the REAL offline schemas that `npm run setup` installs under
// .tools/ (the test command runs setup first). No network.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  argumentChunks,
  kubeconformFlags,
  KubeconformUnavailableError,
  runKubeconform,
  toolchainSettings,
  workersFor,
  type KubeconformSettings,
  type ResourceVerdict,
} from '@flyte-gkp/kubeconform';
import { availableParallelism } from 'node:os';
import { clusterKubernetesVersions, readToolchain } from '../../../tools/setup/setup.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
// The version setup installed schemas for: the one our cluster files name (1.21 for Flyte v0.15.0).
const kubernetesVersion = clusterKubernetesVersions(repoRoot)[0]?.version ?? '1.21.0';
const settings: KubeconformSettings = toolchainSettings(
  repoRoot,
  kubernetesVersion,
  readToolchain(repoRoot).argoCd.version,
  readToolchain(repoRoot).externalSecrets.version,
);

let workDir: string;

beforeAll(() => {
  if (!existsSync(settings.binary)) {
    throw new Error(
      `kubeconform is not installed at ${settings.binary}: ` +
        `run \`npm run setup\` (node tools/setup/setup.mjs) before these tests`,
    );
  }
  workDir = mkdtempSync(join(tmpdir(), 'kubeconform-spec-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

let caseNumber = 0;
/** Writes the files into a fresh folder and validates them with paths relative to it. */
async function validate(files: Record<string, string>, withSettings = settings): Promise<ResourceVerdict[]> {
  const dir = join(workDir, `case-${++caseNumber}`);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return runKubeconform(Object.keys(files), dir, withSettings);
}

const verdictOf = (verdicts: ResourceVerdict[], kind: string) => {
  const found = verdicts.filter((verdict) => verdict.kind === kind);
  expect(found, `one ${kind} verdict`).toHaveLength(1);
  return found[0];
};

const namespace = `apiVersion: v1
kind: Namespace
metadata:
  name: 103020-flytepoc-dev
  labels: {app.kubernetes.io/managed-by: flyte-gkp}
`;

const quota = (spec: string) => `apiVersion: v1
kind: ResourceQuota
metadata: {name: project-quota, namespace: 103020-flytepoc-dev}
spec:
${spec}`;

describe('runKubeconform on Kubernetes resources', () => {
  it('passes a valid Namespace, ResourceQuota, NetworkPolicy and RoleBinding', async () => {
    const manifest = [
      namespace,
      quota('  hard: {requests.cpu: "4", limits.memory: 8Gi, pods: "20"}\n'),
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: same-namespace, namespace: 103020-flytepoc-dev}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {}
`,
      `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: owners, namespace: 103020-flytepoc-dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: flytepoc-owners}
`,
    ];
    // A comment-only document before the first "---" is no resource and gets no verdict.
    const verdicts = await validate({
      'namespaces/dev.yaml': `# Rendered by flyte-gkp: do not edit.\n---\n${manifest.join('---\n')}`,
    });

    expect(verdicts.map((v) => [v.kind, v.status])).toEqual(
      expect.arrayContaining([
        ['Namespace', 'valid'],
        ['ResourceQuota', 'valid'],
        ['NetworkPolicy', 'valid'],
        ['RoleBinding', 'valid'],
      ]),
    );
    expect(verdicts).toHaveLength(4);
    expect(verdictOf(verdicts, 'RoleBinding')).toMatchObject({
      file: 'namespaces/dev.yaml',
      name: 'owners',
      apiVersion: 'rbac.authorization.k8s.io/v1',
      errors: [],
    });
  });

  it('rejects an unknown field and names its path, while the other resources of the file stay valid', async () => {
    const verdicts = await validate({ 'quota.yaml': `${namespace}---\n${quota('  hardd: {pods: "20"}\n')}` });

    expect(verdictOf(verdicts, 'Namespace').status).toBe('valid');
    const rejected = verdictOf(verdicts, 'ResourceQuota');
    expect(rejected.status).toBe('invalid');
    expect(rejected.errors).toEqual([{ path: '/spec', message: expect.stringContaining("'hardd'") }]);
  });

  it('gives verdicts for the resources with a finding only, when asked for findings only', async () => {
    const dir = join(workDir, 'findings-only');
    mkdirSync(dir);
    writeFileSync(join(dir, 'quota.yaml'), `${namespace}---\n${quota('  hardd: {pods: "20"}\n')}`);

    const verdicts = await runKubeconform(['quota.yaml'], dir, settings, { findingsOnly: true });

    expect(verdicts.map((v) => [v.kind, v.status])).toEqual([['ResourceQuota', 'invalid']]);
  });

  it('rejects wrong types with the path of each offending field', async () => {
    const verdicts = await validate({
      'quota.yaml': quota('  hard: [cpu, memory]\n'),
      'deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: {name: flyteadmin, namespace: 103020-flytepoc-dev}
spec:
  replicas: "two"
  selector: {matchLabels: {app: flyteadmin}}
  template:
    metadata: {labels: {app: flyteadmin}}
    spec:
      containers:
      - name: flyteadmin
        image: cr.flyte.org/flyteorg/flyteadmin:v0.15.0
        ports: [{containerPort: "http"}]
`,
    });

    const quotaVerdict = verdictOf(verdicts, 'ResourceQuota');
    expect(quotaVerdict).toMatchObject({ file: 'quota.yaml', status: 'invalid' });
    expect(quotaVerdict.errors.map((e) => e.path)).toEqual(['/spec/hard']);

    const deployment = verdictOf(verdicts, 'Deployment');
    expect(deployment).toMatchObject({ file: 'deployment.yaml', status: 'invalid' });
    // Sorted by path: the validator itself reports them in no fixed order.
    expect(deployment.errors.map((e) => e.path)).toEqual([
      '/spec/replicas',
      '/spec/template/spec/containers/0/ports/0/containerPort',
    ]);
    expect(deployment.errors.find((e) => e.path === '/spec/replicas')?.message).toMatch(/string.*integer/);
  });

  it('reports a kind without a schema as an error, never as skipped', async () => {
    const verdicts = await validate({
      'widget.yaml': 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3}\n',
    });

    expect(verdicts).toEqual([
      expect.objectContaining({
        kind: 'Widget',
        status: 'error',
        message: expect.stringContaining('could not find schema for Widget'),
      }),
    ]);
  });

  it('reports unparsable YAML as an error of that file', async () => {
    const verdicts = await validate({
      'broken.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {name: [a\n',
      'ok.yaml': namespace,
    });

    expect(verdicts.map((v) => [v.file, v.status])).toEqual([
      ['broken.yaml', 'error'],
      ['ok.yaml', 'valid'],
    ]);
  });

  it('gives a verdict for every resource when the file list is longer than one command line', async () => {
    // 2,600 paths of ~420 characters, 1.1 million in all: more than one run's worth of arguments.
    const longFolder = 'project-with-a-rather-long-name-'.repeat(6);
    const files = Object.fromEntries(
      Array.from({ length: 2600 }, (_, i) => [
        `projects/${longFolder}${String(i).padStart(4, '0')}/${'x'.repeat(200)}/namespace.yaml`,
        namespace.replace('103020-flytepoc-dev', `ns-${i}`),
      ]),
    );
    expect(argumentChunks(Object.keys(files))).toHaveLength(2);

    const verdicts = await validate(files);

    expect(verdicts).toHaveLength(2600);
    expect(verdicts.every((v) => v.status === 'valid' && v.kind === 'Namespace')).toBe(true);
    expect(new Set(verdicts.map((v) => v.name)).size).toBe(2600);
  });
});

describe('runKubeconform on Argo CD resources (schemas converted from the CRDs)', () => {
  const application = (spec: string) => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: flytepoc-dev
  namespace: argocd
  finalizers: [resources-finalizer.argocd.argoproj.io]
spec:
  project: flytepoc
  destination: {server: https://kubernetes.default.svc, namespace: 103020-flytepoc-dev}
${spec}`;

  it('passes a valid Application and AppProject', async () => {
    const verdicts = await validate({
      'apps.yaml': `${application(`  sources:
  - repoURL: https://helm.flyte.org
    chart: flyte
    targetRevision: v0.15.0
    helm:
      valueFiles: [$values/values/dev.yaml]
      valuesObject: {anything: {goes: [1, two]}}
  - repoURL: https://git.gkp.example/103020/flyte-gkp.git
    targetRevision: main
    ref: values
  - repoURL: https://git.gkp.example/103020/flyte-gkp.git
    path: clusters/gkp-dev
    kustomize:
      replicas: [{name: flyteadmin, count: 2}, {name: datacatalog, count: "1"}]
  syncPolicy:
    automated: {prune: true, selfHeal: true}
    syncOptions: [CreateNamespace=false, ServerSideApply=true]
`)}---
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: flytepoc, namespace: argocd}
spec:
  sourceRepos: [https://git.gkp.example/103020/flyte-gkp.git]
  destinations: [{server: https://kubernetes.default.svc, namespace: 103020-flytepoc-*}]
  clusterResourceWhitelist: [{group: '', kind: Namespace}]
  namespaceResourceBlacklist: [{group: '', kind: ResourceQuota}]
  roles:
  - name: owners
    groups: [flytepoc-owners]
    policies: ['p, proj:flytepoc:owners, applications, sync, flytepoc/*, allow']
`,
    });

    expect(verdicts.map((v) => [v.kind, v.status, v.message])).toEqual([
      ['AppProject', 'valid', ''],
      ['Application', 'valid', ''],
    ]);
  });

  it('rejects an unknown field nested under spec (the converted schema is strict)', async () => {
    const verdicts = await validate({
      'app.yaml': application(`  source: {repoURL: https://helm.flyte.org, chart: flyte, targetRevision: v0.15.0}
  syncPolicy:
    automated: {prune: true, selfHael: true}
`),
    });

    const app = verdictOf(verdicts, 'Application');
    expect(app.status).toBe('invalid');
    expect(app.errors).toEqual([
      { path: '/spec/syncPolicy/automated', message: expect.stringContaining("'selfHael'") },
    ]);
  });
});

describe('runKubeconform on External Secrets Operator resources (schemas from its Go module)', () => {
  const secretStore = (auth: string) => `apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: 103020-flytepoc-x-d-dev, namespace: 103020-flytepoc-x-d-dev}
spec:
  provider:
    vault:
      server: https://vault.gkp.example
      path: secret
      version: v2
      auth:
        kubernetes:
          mountPath: kubernetes
          role: 103020-flytepoc-x-d-dev
${auth}`;
  const externalSecret = `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: mercury-x, namespace: 103020-flytepoc-x-d-dev}
spec:
  refreshInterval: 1h
  secretStoreRef: {kind: SecretStore, name: 103020-flytepoc-x-d-dev}
  target: {name: mercury-x, creationPolicy: Owner}
  data:
    - secretKey: FLYTE_AWS_ACCESS_KEY_ID
      remoteRef: {key: 103020/flytepoc-x/mercury, property: access_key}
`;

  it('passes a SecretStore naming its ServiceAccount and audience, and an ExternalSecret', async () => {
    const auth = '          serviceAccountRef: {name: mercury-vault-auth, audiences: [vault]}\n';
    const verdicts = await validate({ 'store.yaml': secretStore(auth), 'secret.yaml': externalSecret });
    expect(verdicts.map((v) => [v.kind, v.status])).toEqual([
      ['ExternalSecret', 'valid'],
      ['SecretStore', 'valid'],
    ]);
  });

  it("refuses a misspelt field of the operator's kinds: -strict", async () => {
    const auth = '          serviceAccountRef: {name: mercury-vault-auth, audience: [vault]}\n';
    const verdict = verdictOf(await validate({ 'store.yaml': secretStore(auth) }), 'SecretStore');
    expect(verdict.status).toBe('invalid');
    expect(verdict.message).toContain("additional properties 'audience' not allowed");
  });

  it('finds no schema for them on a cluster without the operator', async () => {
    const withoutOperator = toolchainSettings(repoRoot, kubernetesVersion, readToolchain(repoRoot).argoCd.version);
    const verdict = verdictOf(await validate({ 'secret.yaml': externalSecret }, withoutOperator), 'ExternalSecret');
    expect(verdict.status).toBe('error');
    expect(verdict.message).toMatch(/could not find schema/);
  });
});

describe('kubeconform`s workers', () => {
  it(
    'are one for a small run (each compiles every schema it meets), ' + 'one per CPU for a run of thousands of files',
    () => {
      expect(workersFor(1)).toBe(1);
      expect(workersFor(41)).toBe(1); // the chart's objects
      expect(workersFor(3256)).toBe(Math.min(availableParallelism(), 7));
      const flags = kubeconformFlags(settings, { findingsOnly: true }, 41);
      expect(flags.slice(flags.indexOf('-n'), flags.indexOf('-n') + 2)).toEqual(['-n', '1']);
    },
  );
});

describe('runKubeconform when kubeconform cannot run', () => {
  it('explains how to install a missing binary', async () => {
    const missing = { ...settings, binary: join(workDir, 'no-such-dir/kubeconform') };

    await expect(validate({ 'ns.yaml': namespace }, missing)).rejects.toThrow(KubeconformUnavailableError);
    await expect(validate({ 'ns.yaml': namespace }, missing)).rejects.toThrow(
      /kubeconform not found at .*no-such-dir\/kubeconform: run `npm run setup`/,
    );
  });

  it('explains a Kubernetes version whose schemas are not installed instead of failing every resource', async () => {
    const unknownVersion = toolchainSettings(repoRoot, '1.99.0', readToolchain(repoRoot).argoCd.version);

    await expect(validate({ 'ns.yaml': namespace }, unknownVersion)).rejects.toThrow(
      /no schemas at .*v1\.99\.0-local-strict.*npm run setup/,
    );
  });

  it('treats output that is not kubeconform JSON as unavailable, not as a verdict', async () => {
    const fake = join(workDir, 'fake-kubeconform');
    writeFileSync(fake, '#!/bin/sh\necho "segmentation fault" >&2\nexit 2\n');
    chmodSync(fake, 0o755);

    await expect(validate({ 'ns.yaml': namespace }, { ...settings, binary: fake })).rejects.toThrow(
      expect.objectContaining({
        name: 'KubeconformUnavailableError',
        message: expect.stringContaining('segmentation fault'),
      }),
    );
  });

  it('stops a binary that hangs after the timeout, with a message that says so and how to get more time', async () => {
    const hanging = join(workDir, 'hanging-kubeconform');
    const pidFile = join(workDir, 'hanging.pid');
    writeFileSync(hanging, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 60\n`);
    chmodSync(hanging, 0o755);

    await expect(validate({ 'ns.yaml': namespace }, { ...settings, binary: hanging, timeoutMs: 500 })).rejects.toThrow(
      expect.objectContaining({
        name: 'KubeconformUnavailableError',
        message: expect.stringMatching(/did not finish within 0\.5 s.*FLYTE_GKP_TOOL_TIMEOUT_SECONDS/),
      }),
    );
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0), 'the hanging process is stopped, not left running').toThrow(
      expect.objectContaining({ code: 'ESRCH' }),
    );
  });
});
