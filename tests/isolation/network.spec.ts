// Who can reach whom, computed by a real NetworkPolicy evaluator (cyclonus, pinned in tools/toolchain.json
// and installed by `npm run setup`) from the NetworkPolicies a render writes, for a model cluster whose
// Flyte pods are those the real flyte chart renders with the rendered values (labels and namespace as
// helm writes them). Every ordered pair of pods is compared, port by port, with the intent written
// below: that intent is the specification, not a copy of the output.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { createPlatformFolder, renderCommittedChart } from '@flyte-gkp/testing';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cluster = parse(readFileSync(join(repoRoot, 'platform/clusters/gkp-dev.yaml'), 'utf8'));
const toolchain = JSON.parse(readFileSync(join(repoRoot, 'tools/toolchain.json'), 'utf8'));
const cyclonus = join(repoRoot, '.tools/bin/cyclonus');
const system: string = cluster.systemNamespace;

type Labels = Record<string, string>;
interface Port {
  protocol: 'TCP' | 'UDP';
  port: number;
}
/** A pod of the model and the role the intent below knows it by. */
interface ModelPod {
  namespace: string;
  name: string;
  labels: Labels;
  ip: string;
  role: string;
}
const key = (p: ModelPod) => `${p.namespace}/${p.name}`;
const portKey = (p: Port) => `${p.port}/${p.protocol}`;

// ---- The intent: what Flyte v0.15 needs, and nothing else (docs/operator-guide.md, "Data isolation"). ----

/** Connections into Flyte's namespace, by the chart's component names and their container ports. */
const flyteFlows: [from: string, to: string, ports: number[]][] = [
  ['ingress controller', 'flyteconsole', [8080]],
  ['ingress controller', 'flyteadmin', [8087, 8088, 8089]],
  ['ingress controller', 'kubernetes-dashboard', [9090]],
  ['flytepropeller', 'flyteadmin', [8089]],
  ['flyte-project-registration', 'flyteadmin', [8088]],
  ['flytepropeller', 'datacatalog', [8089]],
  ['flyteadmin', 'postgres', [5432]],
  ['datacatalog', 'postgres', [5432]],
  ['API server', 'flyte-pod-webhook', [9443]],
];
const dnsPorts: Port[] = cluster.network.dns.ports;
const mercuryPorts: Port[] = cluster.network.mercury.ports;

const isTenant = (p: ModelPod) => p.role.startsWith('tenant');
const same = (a: Port, b: Port) => a.port === b.port && a.protocol === b.protocol;

/** Whether `from` may open a connection to `to` on `port`, as this repository means it. */
function intended(from: ModelPod, to: ModelPod, port: Port): boolean {
  if (isTenant(from)) {
    // Out of a project namespace: its own namespace, DNS, Mercury. Not Flyte, not the Internet.
    const out =
      to.namespace === from.namespace ||
      (to.role === 'dns' && dnsPorts.some((p) => same(p, port))) ||
      (to.role === 'mercury' && mercuryPorts.some((p) => same(p, port)));
    if (!out) return false;
  }
  if (isTenant(to)) return to.namespace === from.namespace;
  if (to.namespace === system) {
    return (
      port.protocol === 'TCP' &&
      flyteFlows.some(([f, t, ports]) => f === from.role && t === to.role && ports.includes(port.port))
    );
  }
  return true; // other namespaces carry no policy of ours
}

// ---- The model cluster. ----

const specs = [
  { id: 'a', domains: { 'd-dev': {}, 'p-dev': {} } },
  { id: 'ab', domains: { 'd-dev': {} } },
];

let root: string;
let policyDir: string;
const pods: ModelPod[] = [];
const namespaces: Record<string, Labels> = {};
let probes: Port[];
/** from → to → ports on which cyclonus says the connection is allowed. */
const allowed = new Map<string, Map<string, Set<string>>>();
let policyCount = 0;

const docs = (text: string) =>
  parseAllDocuments(text, { version: '1.1' })
    .map((d) => d.toJS())
    .filter(Boolean) as Record<string, any>[];

async function yamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.yaml')).map((e) => join(e.parentPath, e.name));
}

/** The first address of a CIDR (its network address plus one). */
function firstHost(cidr: string): string {
  const [address] = cidr.split('/');
  const octets = address.split('.').map(Number);
  octets[3] += 1;
  return octets.join('.');
}

/** cyclonus prints one truth table per probe: rows are sources, columns destinations, `.` allowed, `X` blocked. */
function parseCombined(output: string): Map<string, Map<string, string>> {
  // The first Combined table (cyclonus prints another, empty, for pods read from a cluster: none here).
  const lines = output.slice(output.indexOf('Combined:')).split('\n').slice(1);
  const rows = lines
    .slice(
      0,
      lines.findIndex((line) => !/^[|+]/.test(line)),
    )
    .filter((line) => line.startsWith('|'));
  const [header, ...body] = rows.map((line) =>
    line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim()),
  );
  const columns = header.slice(1);
  const table = new Map<string, Map<string, string>>();
  for (const [from, ...cells] of body) table.set(from, new Map(cells.map((cell, i) => [columns[i], cell])));
  return table;
}

// Built at collection time, so that every pair below is a test of its own.
await (async () => {
  if (!existsSync(cyclonus)) throw new Error(`cyclonus is not installed at ${cyclonus}: run \`npm run setup\``);
  root = await createPlatformFolder('isolation-network-');
  await mkdir(join(root, 'projects'));
  for (const s of specs) {
    const spec = {
      apiVersion: 'flytepoc.gkp.io/v1alpha1',
      kind: 'FlyteProject',
      id: s.id,
      displayName: `Project ${s.id}`,
      owners: [{ group: `gkp-103020-team-${s.id}`, role: 'admin' }],
      domains: s.domains,
      storage: { bucket: `103020-flytepoc-${s.id}`, credentialsSecret: `mercury-${s.id}` },
    };
    await writeFile(join(root, 'projects', `${s.id}.yaml`), stringify(spec));
  }
  const render = await execa(join(repoRoot, 'node_modules/.bin/tsx'), ['tools/cli/main.ts', 'render', '--root', root], {
    cwd: repoRoot,
    reject: false,
  });
  if (render.exitCode !== 0)
    throw new Error(`render failed (exit ${render.exitCode}):\n${render.stdout}\n${render.stderr}`);
  const rendered = join(root, 'clusters', cluster.name);

  // Every NetworkPolicy rendered, one per file: cyclonus reads a file as one policy (or a list).
  policyDir = await mkdtemp(join(tmpdir(), 'isolation-policies-'));
  const rendition = await Promise.all(
    (await yamlFiles(rendered)).map(async (file) => docs(await readFile(file, 'utf8'))),
  );
  const jobs: ReturnType<typeof docs> = [];
  for (const object of rendition.flat()) {
    if (object.kind === 'Job') jobs.push(object);
    if (object.kind === 'NetworkPolicy') {
      await writeFile(
        join(policyDir, `${object.metadata.namespace}--${object.metadata.name}.json`),
        JSON.stringify(object),
      );
      policyCount++;
    }
    // The API server labels every namespace with its name.
    if (object.kind === 'Namespace')
      namespaces[object.metadata.name] = {
        ...object.metadata.labels,
        'kubernetes.io/metadata.name': object.metadata.name,
      };
  }

  let address = 0;
  const podIp = () => `100.64.0.${++address}`;
  const add = (namespace: string, name: string, labels: Labels, role: string, ip = podIp()) =>
    pods.push({ namespace, name, labels, role, ip });

  // Flyte's pods as Argo CD renders the real chart from the rendered Application and values; it puts
  // the few objects without a namespace into the Application's destination, the system namespace.
  const deployments = (await renderCommittedChart(root, cluster.name))
    .map((o) => o.object as Record<string, any>)
    .filter((o) => o.kind === 'Deployment');
  for (const object of deployments) {
    const labels: Labels = object.spec.template.metadata.labels;
    expect(object.metadata.namespace ?? system, `${object.metadata.name} runs in the system namespace`).toBe(system);
    add(system, object.metadata.name, labels, labels['app.kubernetes.io/name']);
  }
  // Our own Jobs of the platform folder (the project registration), with their pods' labels.
  for (const job of jobs) {
    const labels: Labels = job.spec.template.metadata.labels;
    expect(job.metadata.namespace, `${job.metadata.name} runs in the system namespace`).toBe(system);
    add(system, 'project-registration', labels, labels['app.kubernetes.io/name']);
  }

  for (const [namespace, labels] of Object.entries(namespaces)) {
    if (namespace === system) continue;
    add(namespace, 'task', { 'execution-id': 'f1a2b3', 'node-id': 'n0' }, 'tenant task');
    // A tenant may label its own pods as it likes:
    // wearing propeller's or the ingress controller's labels gets it nothing.
    add(namespace, 'forged-propeller', { 'app.kubernetes.io/name': 'flytepropeller' }, 'tenant forging propeller');
    const registration = { 'app.kubernetes.io/name': 'flyte-project-registration' };
    add(namespace, 'forged-registration', registration, 'tenant forging the project registration');
    if (cluster.network.ingressController.podLabels)
      add(namespace, 'forged-ingress', { ...cluster.network.ingressController.podLabels }, 'tenant forging ingress');
    expect(labels['flytepoc.gkp.io/project'], `${namespace} is a project namespace`).toBeDefined();
  }
  const infrastructure = (selector: { namespaceLabels: Labels; podLabels?: Labels }, name: string, role: string) => {
    const namespace = selector.namespaceLabels['kubernetes.io/metadata.name'] ?? `${role}-namespace`;
    namespaces[namespace] = { 'kubernetes.io/metadata.name': namespace, ...selector.namespaceLabels };
    add(namespace, name, { ...(selector.podLabels ?? { app: name }) }, role);
  };
  infrastructure(cluster.network.dns, 'kube-dns', 'dns');
  infrastructure(cluster.network.ingressController, 'ingress-controller', 'ingress controller');
  infrastructure({ namespaceLabels: { 'kubernetes.io/metadata.name': 'default' } }, 'other-app', 'other');
  // Addresses outside the pod network, modelled as pods that carry them.
  for (const [name, role, ip] of [
    ['mercury', 'mercury', firstHost(cluster.network.mercury.cidrs[0])],
    ['api-server', 'API server', firstHost(cluster.network.apiServer.cidrs[0])],
    ['internet', 'internet', '203.0.113.10'],
  ]) {
    namespaces[`external-${name}`] = { 'kubernetes.io/metadata.name': `external-${name}` };
    add(`external-${name}`, name, { app: name }, role, ip);
  }

  // Every port anything here listens on or is allowed to: each pod of the model listens on all of them.
  const chartPorts = deployments
    .flatMap((o) =>
      o.spec.template.spec.containers.flatMap((c: any) => (c.ports ?? []).map((p: any) => p.containerPort)),
    )
    .filter((p: unknown): p is number => typeof p === 'number');
  const tcp = [...new Set([...chartPorts, ...flyteFlows.flatMap(([, , ports]) => ports), 443, 22])].sort(
    (a, b) => a - b,
  );
  probes = [...tcp.map((port) => ({ protocol: 'TCP' as const, port })), ...dnsPorts, ...mercuryPorts];
  probes = probes.filter((p, i) => probes.findIndex((q) => same(p, q)) === i);

  const containers = probes.map((p) => ({
    Name: `p${p.port}-${p.protocol.toLowerCase()}`,
    Port: p.port,
    Protocol: p.protocol,
  }));
  const resources = {
    Namespaces: namespaces,
    Pods: pods.map((p) => ({
      Namespace: p.namespace,
      Name: p.name,
      Labels: p.labels,
      IP: p.ip,
      Containers: containers,
    })),
  };
  const names = new Set(pods.map((p) => key(p).toUpperCase()));
  expect(names.size, 'pod names stay distinct in cyclonus upper-cased columns').toBe(pods.length);

  // One cyclonus run per probe, so each table is known to be its port's.
  await Promise.all(
    probes.map(async (probe) => {
      const model = join(policyDir, '..', `${policyDir.split('/').pop()}-probe-${probe.port}-${probe.protocol}.json`);
      await writeFile(
        model,
        JSON.stringify({ Probes: [{ Protocol: probe.protocol, Port: probe.port }], Resources: resources }),
      );
      const run = await execa(cyclonus, [
        'analyze',
        '--policy-path',
        policyDir,
        '--mode',
        'probe',
        '--probe-path',
        model,
      ]);
      await rm(model);
      const table = parseCombined(run.stdout);
      for (const from of pods) {
        for (const to of pods) {
          const cell = table.get(key(from))?.get(key(to).toUpperCase());
          if (cell !== '.' && cell !== 'X')
            throw new Error(
              `cyclonus gave ${JSON.stringify(cell)} for ${key(from)} → ${key(to)} ` +
                `on ${portKey(probe)}:\n${run.stdout}`,
            );
          if (cell === '.') {
            const row = allowed.get(key(from)) ?? allowed.set(key(from), new Map()).get(key(from))!;
            (row.get(key(to)) ?? row.set(key(to), new Set()).get(key(to))!).add(portKey(probe));
          }
        }
      }
    }),
  );
})();

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(policyDir, { recursive: true, force: true });
});

describe('the model', () => {
  it('has every Flyte component the chart renders, tenants of two projects and two domains, and the outside', () => {
    const roles = new Set(pods.map((p) => p.role));
    for (const role of [
      'flyteadmin',
      'flyteconsole',
      'datacatalog',
      'flytepropeller',
      'postgres',
      'flyte-pod-webhook',
      'kubernetes-dashboard',
      'flyte-project-registration',
    ])
      expect(roles).toContain(role);
    for (const role of [
      'tenant task',
      'tenant forging propeller',
      'dns',
      'ingress controller',
      'mercury',
      'API server',
      'internet',
      'other',
    ])
      expect(roles).toContain(role);
    expect(
      pods
        .filter((p) => p.role === 'tenant task')
        .map((p) => p.namespace)
        .sort(),
    ).toEqual(['103020-flytepoc-a-d-dev', '103020-flytepoc-a-p-dev', '103020-flytepoc-ab-d-dev']);
  });

  it('reads the rendered policies of the system namespace and of every project namespace', () => {
    expect(policyCount).toBeGreaterThan(3 + 1);
  });

  it('installs cyclonus at the version tools/toolchain.json pins', () => {
    expect(readFileSync(join(repoRoot, '.tools/bin/cyclonus.version'), 'utf8').trim()).toBe(toolchain.cyclonus.version);
  });
});

describe('who can reach whom (cyclonus on the rendered NetworkPolicies)', () => {
  const pairs = pods.flatMap((from) =>
    pods.map((to) => [`${from.role} ${key(from)}`, `${to.role} ${key(to)}`, from, to] as const),
  );
  it.each(pairs)('%s → %s: cyclonus allows exactly the intended ports', (_from, _to, from, to) => {
    const got = [...(allowed.get(key(from))?.get(key(to)) ?? [])].sort();
    const want = probes
      .filter((p) => intended(from, to, p))
      .map(portKey)
      .sort();
    expect(got).toEqual(want);
  });
});
