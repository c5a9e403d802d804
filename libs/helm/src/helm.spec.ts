// Runs the REAL helm binary on the REAL flyte chart v0.15.0 that `npm run setup` installs under .tools/.
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartFolder, helmSettings, helmTemplate, HelmTemplateError, HelmUnavailableError, parseTemplateOutput, type TemplateRequest } from '@flyte-gkp/helm';
import { repoRoot } from '@flyte-gkp/testing';

const settings = helmSettings(repoRoot);
const chartDir = chartFolder(repoRoot, 'flyte', 'v0.15.0');
let workDir: string;

beforeAll(() => {
  if (!existsSync(settings.binary) || !existsSync(chartDir)) throw new Error('helm or the flyte chart is not installed under .tools/: run `npm run setup` before these tests');
  workDir = mkdtempSync(join(tmpdir(), 'helm-spec-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

let fileNumber = 0;
function valuesFile(text: string): string {
  const file = join(workDir, `values-${++fileNumber}.yaml`);
  writeFileSync(file, text);
  return file;
}

const request = (valueFiles: string[]): TemplateRequest => ({ releaseName: 'flyte', chartDir, namespace: '103020-flytepoc-dev', kubeVersion: '1.21.0', valueFiles });
const minimal = 'spark: {enabled: false}\ncontour: {enabled: false}\n';

describe('helmTemplate on the flyte chart v0.15.0', () => {
  it('names the template of every object, and renders into the destination namespace', async () => {
    const objects = await helmTemplate(request([valuesFile(minimal)]), settings);
    const admin = objects.find((o) => o.object.kind === 'Deployment' && (o.object.metadata as { name: string }).name === 'flyteadmin');
    expect(admin?.source).toBe('flyte/templates/admin/deployment.yaml');
    expect((admin?.object.metadata as { namespace: string }).namespace).toBe('103020-flytepoc-dev');
    expect(objects.every((o) => o.source.startsWith('flyte/'))).toBe(true);
    expect(admin?.text).toContain('# Source: flyte/templates/admin/deployment.yaml');
  });

  it('applies value files in order: a later file wins', async () => {
    const first = valuesFile(`${minimal}datacatalog: {service: {type: NodePort}}\n`);
    const second = valuesFile('datacatalog: {service: {type: ClusterIP}}\n');
    const typeOf = (objects: Awaited<ReturnType<typeof helmTemplate>>) =>
      (objects.find((o) => o.object.kind === 'Service' && (o.object.metadata as { name: string }).name === 'datacatalog')?.object.spec as { type: string }).type;
    expect(typeOf(await helmTemplate(request([first, second]), settings))).toBe('ClusterIP');
    expect(typeOf(await helmTemplate(request([second, first]), settings))).toBe('NodePort');
  });

  it('reads the output as Kubernetes does: an unquoted y is a boolean', async () => {
    const objects = await helmTemplate(request([valuesFile(`${minimal}flyteadmin: {initialProjects: ["y", '"n"']}\n`)]), settings);
    const admin = objects.find((o) => o.source === 'flyte/templates/admin/deployment.yaml')!.object as { spec: { template: { spec: { initContainers: { name: string; command: unknown[] }[] } } } };
    const seed = admin.spec.template.spec.initContainers.find((c) => c.name === 'seed-projects')!;
    expect(seed.command.slice(-2)).toEqual([true, 'n']);
  });

  it('reports a chart that fails to render with helm`s own message', async () => {
    const broken = valuesFile(`${minimal}flyteadmin: {initialProjects: 5}\n`);
    const failure = helmTemplate(request([broken]), settings);
    await expect(failure).rejects.toThrow(HelmTemplateError);
    await expect(failure).rejects.toThrow(/admin\/deployment.yaml.*range can't iterate over 5/);
  });

  it('says to run setup when helm or the chart is missing, before running anything', async () => {
    await expect(helmTemplate(request([]), { ...settings, binary: join(workDir, 'no-helm') })).rejects.toThrow(/helm not found at .*no-helm: run `npm run setup`/);
    await expect(helmTemplate({ ...request([]), chartDir: join(workDir, 'no-chart') }, settings)).rejects.toThrow(HelmUnavailableError);
  });

  it('gives up on a helm that hangs, with an exit-3 kind of error', async () => {
    const hanging = join(workDir, 'hanging-helm');
    writeFileSync(hanging, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(hanging, 0o755);
    await expect(helmTemplate(request([]), { binary: hanging, timeoutMs: 300 })).rejects.toThrow(/did not finish within 0.3 s/);
  });
});

describe('parseTemplateOutput', () => {
  it('keeps each document`s template, drops empty documents, splits a template with several objects', () => {
    const output = [
      '---', '# Source: flyte/templates/a.yaml', 'apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: a}', 'data: {x: "---"}',
      '---', '# Source: flyte/templates/empty.yaml',
      '---', '# Source: flyte/templates/b.yaml', 'apiVersion: v1', 'kind: Secret', 'metadata: {name: b}',
      '---', '# Source: flyte/templates/b.yaml', 'apiVersion: v1', 'kind: Service', 'metadata: {name: b}', '',
    ].join('\n');
    const objects = parseTemplateOutput(output);
    expect(objects.map((o) => [o.source, o.object.kind])).toEqual([
      ['flyte/templates/a.yaml', 'ConfigMap'],
      ['flyte/templates/b.yaml', 'Secret'],
      ['flyte/templates/b.yaml', 'Service'],
    ]);
    expect(objects[0].text.startsWith('# Source: flyte/templates/a.yaml\n')).toBe(true);
  });
});
