// Runs the REAL kustomize and helm that `npm run setup` installs, on a tiny chart written here, offline.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  buildArguments,
  buildChartFolder,
  KustomizeBuildError,
  kustomizeSettings,
  KustomizeUnavailableError,
  type Kustomization,
} from '@flyte-gkp/kustomize';
import { repoRoot } from '@flyte-gkp/testing';

const settings = kustomizeSettings(repoRoot);
let workDir: string;
let chartDir: string;

beforeAll(() => {
  if (!existsSync(settings.binary) || !existsSync(settings.helmBinary))
    throw new Error('kustomize or helm is not installed under .tools/: run `npm run setup` before these tests');
  workDir = mkdtempSync(join(tmpdir(), 'kustomize-spec-'));
  // A chart with a hard-coded, untagged image and an annotation taken from a value: what the post-render fixes.
  chartDir = join(workDir, 'tiny');
  mkdirSync(join(chartDir, 'templates'), { recursive: true });
  writeFileSync(join(chartDir, 'Chart.yaml'), 'apiVersion: v2\nname: tiny\nversion: 1.0.0\n');
  writeFileSync(
    join(chartDir, 'templates/deployment.yaml'),
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      '  namespace: {{ .Release.Namespace }}',
      'spec:',
      '  selector: {matchLabels: {app: web}}',
      '  template:',
      '    metadata:',
      '      labels: {app: web}',
      '      annotations: {{ toYaml .Values.annotations | nindent 8 }}',
      '    spec:',
      '      containers:',
      '        - name: web',
      '          image: "{{ .Values.image }}"',
      '        - name: viewer',
      '          image: docker.io/example/viewer',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(chartDir, 'templates/service.yaml'),
    'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports: [{port: 80}]\n  selector: {app: web}\n',
  );
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const kustomization = (extra: Partial<Kustomization> = {}): Kustomization => ({
  apiVersion: 'kustomize.config.k8s.io/v1beta1',
  kind: 'Kustomization',
  helmCharts: [
    {
      name: 'tiny',
      repo: 'oci://registry.invalid/charts',
      version: '1.0.0',
      releaseName: 'tiny',
      namespace: 'team-a',
      valuesFile: 'values.yaml',
    },
  ],
  ...extra,
});
const values =
  'image: registry.example/web:1.2.3\nannotations: {vault.hashicorp.com/agent-inject: "true", keep: "yes"}\n';
const build = (k: Kustomization, valuesText = values) =>
  buildChartFolder(
    {
      files: [
        { name: 'kustomization.yaml', content: stringify(k) },
        { name: 'values.yaml', content: valuesText },
      ],
      kubeVersion: '1.21.0',
      chartDir,
    },
    settings,
  );

describe('kustomize build with a Helm chart, as Argo CD runs it', () => {
  it('passes the arguments Argo CD v2.14 passes with --enable-helm, and the helm to use', () => {
    expect(buildArguments({ dir: '/repo/platform', kubeVersion: '1.21.0' }, settings)).toEqual([
      'build',
      '/repo/platform',
      '--enable-helm',
      '--helm-kube-version',
      '1.21.0',
      '--helm-command',
      settings.helmBinary,
    ]);
  });

  it(
    'inflates the chart offline where kustomize would have pulled it, ' + 'and files each object under its template',
    async () => {
      const { objects, inflated } = await build(kustomization());
      expect(objects.map((o) => [o.object.kind, o.source]).sort()).toEqual([
        ['Deployment', 'tiny/templates/deployment.yaml'],
        ['Service', 'tiny/templates/service.yaml'],
      ]);
      expect(inflated).toHaveLength(2);
      const deployment = objects.find((o) => o.object.kind === 'Deployment')!.object as any;
      expect(deployment.metadata.namespace).toBe('team-a');
    },
  );

  it('applies the images and patches after the chart: what the chart hard-codes is replaced', async () => {
    const { objects, inflated } = await build(
      kustomization({
        images: [{ name: 'docker.io/example/viewer', newName: 'docker.io/example/viewer', newTag: 'v2' }],
        patches: [
          {
            target: { group: 'apps', version: 'v1', kind: 'Deployment', name: 'web' },
            patch: '- op: remove\n  path: /spec/template/metadata/annotations/vault.hashicorp.com~1agent-inject\n',
          },
        ],
      }),
    );
    const pod = (list: typeof objects) =>
      (list.find((o) => o.object.kind === 'Deployment')!.object as any).spec.template;
    expect(pod(objects).spec.containers.map((c: { image: string }) => c.image)).toEqual([
      'registry.example/web:1.2.3',
      'docker.io/example/viewer:v2',
    ]);
    expect(pod(objects).metadata.annotations).toEqual({ keep: 'yes' });
    expect(pod(inflated).spec.containers[1].image).toBe('docker.io/example/viewer');
  });

  it('refuses a patch that no longer applies, with kustomize`s message', async () => {
    const stale = kustomization({
      patches: [
        {
          target: { kind: 'Deployment', name: 'web' },
          patch: '- op: remove\n  path: /spec/template/metadata/annotations/gone\n',
        },
      ],
    });
    const failure = build(stale);
    await expect(failure).rejects.toThrow(KustomizeBuildError);
    await expect(failure).rejects.toThrow(/gone/);
  });

  it('reports a chart that does not render with helm`s message, as a build error', async () => {
    await expect(build(kustomization(), 'image: [unclosed\n')).rejects.toThrow(KustomizeBuildError);
  });

  it('says to run setup when kustomize is missing, and gives up on one that hangs', async () => {
    await expect(
      buildChartFolder(
        {
          files: [{ name: 'kustomization.yaml', content: stringify(kustomization()) }],
          kubeVersion: '1.21.0',
          chartDir,
        },
        { ...settings, binary: join(workDir, 'no-kustomize') },
      ),
    ).rejects.toThrow(/kustomize not found at .*no-kustomize: run `npm run setup`/);
    const hanging = join(workDir, 'hanging-kustomize');
    writeFileSync(hanging, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(hanging, 0o755);
    await expect(
      buildChartFolder(
        {
          files: [
            { name: 'kustomization.yaml', content: stringify(kustomization()) },
            { name: 'values.yaml', content: values },
          ],
          kubeVersion: '1.21.0',
          chartDir,
        },
        { ...settings, binary: hanging, timeoutMs: 300 },
      ),
    ).rejects.toThrow(KustomizeUnavailableError);
  });
});
