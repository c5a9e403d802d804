import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from 'kubernetes-types/networking/v1';
import type { Cluster, PeerSelector, PortSpec } from '@flyte-gkp/platform';

/**
 * The pods of the flyte chart v0.15.0 by the labels its templates give them (admin/, console/,
 * datacatalog/, postgres/, propeller/deployment.yaml and webhook.yaml, the kubernetes-dashboard 4.0.2
 * subchart), and the container ports they listen on: a NetworkPolicy port is the pod's, not the Service's.
 */
export const flyteComponents = {
  flyteadmin: { labels: { 'app.kubernetes.io/name': 'flyteadmin' }, ports: { http: 8088, grpc: 8089, redoc: 8087 } },
  flyteconsole: { labels: { 'app.kubernetes.io/name': 'flyteconsole' }, ports: { http: 8080 } },
  datacatalog: { labels: { 'app.kubernetes.io/name': 'datacatalog' }, ports: { grpc: 8089 } },
  flytepropeller: { labels: { 'app.kubernetes.io/name': 'flytepropeller' }, ports: {} },
  postgres: { labels: { 'app.kubernetes.io/name': 'postgres' }, ports: { postgres: 5432 } },
  'flyte-pod-webhook': { labels: { 'app.kubernetes.io/name': 'flyte-pod-webhook' }, ports: { https: 9443 } },
  'kubernetes-dashboard': { labels: { 'app.kubernetes.io/name': 'kubernetes-dashboard' }, ports: { http: 9090 } },
  // Not the chart's: the Job of project-registration.ts, labelled like the components.
  'flyte-project-registration': { labels: { 'app.kubernetes.io/name': 'flyte-project-registration' }, ports: {} },
} as const;
export type FlyteComponent = keyof typeof flyteComponents;

/** One connection the policies admit, and why Flyte v0.15 needs it (the README's flows table lists these). */
export interface Flow {
  from: FlyteComponent | 'ingress controller' | 'API server';
  to: FlyteComponent;
  ports: number[];
  why: string;
}

const { flyteadmin, flyteconsole, datacatalog, postgres } = flyteComponents;

/**
 * Every connection INTO Flyte's system namespace. Nothing else gets in: not workflow pods (flytekit
 * tasks of v0.15 talk to Mercury only; propeller, not the task, calls datacatalog for caching and
 * flyteadmin for events), not other namespaces, not the Services' NodePorts.
 */
export const systemFlows: Flow[] = [
  {
    from: 'ingress controller',
    to: 'flyteconsole',
    ports: [flyteconsole.ports.http],
    why: 'the console UI at <host>/console',
  },
  {
    from: 'ingress controller',
    to: 'flyteadmin',
    ports: [flyteadmin.ports.http, flyteadmin.ports.grpc, flyteadmin.ports.redoc],
    why: 'the admin API for the console, flytekit and flytectl (HTTP /api, gRPC, /openapi)',
  },
  {
    from: 'ingress controller',
    to: 'kubernetes-dashboard',
    ports: [flyteComponents['kubernetes-dashboard'].ports.http],
    why: "task logs: Flyte's log links open the dashboard",
  },
  {
    from: 'flytepropeller',
    to: 'flyteadmin',
    ports: [flyteadmin.ports.grpc],
    why: 'execution events and launch plans of sub-workflows (admin.endpoint flyteadmin:81)',
  },
  {
    from: 'flyte-project-registration',
    to: 'flyteadmin',
    ports: [flyteadmin.ports.http],
    why: "registers and archives the specs' projects (the HTTP gateway, flyteadmin:80)",
  },
  {
    from: 'flytepropeller',
    to: 'datacatalog',
    ports: [datacatalog.ports.grpc],
    why: 'task output caching (catalog-cache endpoint datacatalog:89)',
  },
  {
    from: 'flyteadmin',
    to: 'postgres',
    ports: [postgres.ports.postgres],
    why: "Flyte's metadata: projects, workflows, executions",
  },
  { from: 'datacatalog', to: 'postgres', ports: [postgres.ports.postgres], why: 'the cache index (same database)' },
  {
    from: 'API server',
    to: 'flyte-pod-webhook',
    ports: [flyteComponents['flyte-pod-webhook'].ports.https],
    why: 'admission: the webhook injects secrets into task pods',
  },
];

const tcp = (port: number): NetworkPolicyPort => ({ protocol: 'TCP', port });
const ports = (specs: PortSpec[]): NetworkPolicyPort[] => specs.map(({ protocol, port }) => ({ protocol, port }));
const selector = (peer: PeerSelector): NetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { ...peer.namespaceLabels } },
  ...(peer.podLabels ? { podSelector: { matchLabels: { ...peer.podLabels } } } : {}),
});
const cidrs = (list: string[]): NetworkPolicyPeer[] => list.map((cidr) => ({ ipBlock: { cidr } }));

function source(cluster: Cluster, from: Flow['from']): NetworkPolicyPeer[] {
  if (from === 'ingress controller') return [selector(cluster.network.ingressController)];
  if (from === 'API server') return cidrs(cluster.network.apiServer.cidrs);
  // A pod selector alone means this namespace: a tenant pod wearing Flyte's labels is not a source.
  return [{ podSelector: { matchLabels: { ...flyteComponents[from].labels } } }];
}

type Meta = (name: string) => NetworkPolicy['metadata'];

/** Deny every connection into the system namespace, then admit each of systemFlows (one policy per destination). */
export function systemNetworkPolicies(cluster: Cluster, meta: Meta): NetworkPolicy[] {
  const destinations = [...new Set(systemFlows.map((f) => f.to))].sort();
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('default-deny-ingress'),
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    },
    ...destinations.map((to): NetworkPolicy => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(`allow-to-${to}`),
      spec: {
        podSelector: { matchLabels: { ...flyteComponents[to].labels } },
        policyTypes: ['Ingress'],
        ingress: systemFlows
          .filter((f) => f.to === to)
          .map((f) => ({ from: source(cluster, f.from), ports: f.ports.map(tcp) })),
      },
    })),
  ];
}

/**
 * A project namespace: its pods talk to each other (a task's own pods, e.g. distributed training), and
 * out only to DNS and Mercury. Nothing of Flyte connects to a task pod (propeller works through the API
 * server), and a workflow pod needs neither flyteadmin nor datacatalog (see systemFlows).
 */
export function tenantNetworkPolicy(cluster: Cluster, metadata: NetworkPolicy['metadata']): NetworkPolicy {
  const { dns, mercury } = cluster.network;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata,
    spec: {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ podSelector: {} }] }],
      egress: [
        { to: [{ podSelector: {} }] },
        { to: [selector(dns)], ports: ports(dns.ports) },
        { to: cidrs(mercury.cidrs), ports: ports(mercury.ports) },
      ],
    },
  };
}
