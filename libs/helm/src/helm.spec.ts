// helm's part of the chart stage: where the binary and the chart must be, and how its output is read.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chartFolder, checkInstalled, helmSettings, HelmUnavailableError, parseTemplateOutput } from '@flyte-gkp/helm';
import { repoRoot } from '@flyte-gkp/testing';

const workDir = mkdtempSync(join(tmpdir(), 'helm-spec-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('checkInstalled', () => {
  it('passes the helm and the flyte chart that `npm run setup` installs', () => {
    expect(() => checkInstalled(helmSettings(repoRoot), chartFolder(repoRoot, 'flyte', 'v0.15.0'))).not.toThrow();
  });

  it('says to run setup when helm or the chart is missing', () => {
    expect(() =>
      checkInstalled({ binary: join(workDir, 'no-helm') }, chartFolder(repoRoot, 'flyte', 'v0.15.0')),
    ).toThrow(/helm not found at .*no-helm: run `npm run setup`/);
    expect(() => checkInstalled(helmSettings(repoRoot), join(workDir, 'no-chart'))).toThrow(HelmUnavailableError);
    expect(() => checkInstalled(helmSettings(repoRoot), join(workDir, 'no-chart'))).toThrow(
      /no chart at .*no-chart: run `npm run setup`/,
    );
  });
});

describe('parseTemplateOutput', () => {
  it('keeps each document`s template, drops empty documents, splits a template with several objects', () => {
    const output = [
      '---',
      '# Source: flyte/templates/a.yaml',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: a}',
      'data: {x: "---"}',
      '---',
      '# Source: flyte/templates/empty.yaml',
      '---',
      '# Source: flyte/templates/b.yaml',
      'apiVersion: v1',
      'kind: Secret',
      'metadata: {name: b}',
      '---',
      '# Source: flyte/templates/b.yaml',
      'apiVersion: v1',
      'kind: Service',
      'metadata: {name: b}',
      '',
    ].join('\n');
    const objects = parseTemplateOutput(output);
    expect(objects.map((o) => [o.source, o.object.kind])).toEqual([
      ['flyte/templates/a.yaml', 'ConfigMap'],
      ['flyte/templates/b.yaml', 'Secret'],
      ['flyte/templates/b.yaml', 'Service'],
    ]);
    expect(objects[0].text.startsWith('# Source: flyte/templates/a.yaml\n')).toBe(true);
  });

  it('reads the output as Kubernetes does: an unquoted y is a boolean, a quoted one a string', () => {
    const [pod] = parseTemplateOutput(
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - command: [seed, y, "n"]\n',
    );
    expect((pod.object.spec as { containers: { command: unknown[] }[] }).containers[0].command).toEqual([
      'seed',
      true,
      'n',
    ]);
    expect(pod.source).toBe('(no # Source line)');
  });
});
