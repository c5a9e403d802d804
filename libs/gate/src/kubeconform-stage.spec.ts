import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlatform } from '@flyte-gkp/platform';
import type { RenderedFile } from '@flyte-gkp/render';
import { diskSource } from '@flyte-gkp/project-spec';
import { createTempWorkspace, repoRoot } from '@flyte-gkp/testing';
import { committedPaths } from './drift-stage.js';
import { kubeconformCommitted, kubeconformOnContent, verdictDiagnostics } from './kubeconform-stage.js';
import { diskTree, treeFolders } from './read-tree.js';
import { everything } from './scope.js';

const file = (path: string, content: string, project?: string): RenderedFile => ({
  path,
  type: 'manifest',
  project,
  sources: project ? [`projects/${project}.yaml`] : ['platform/clusters/gkp-dev.yaml'],
  objects: [],
  content,
});

describe('kubeconform stage', () => {
  it(
    'fails an unknown field and a wrong type in kubeconform itself, ' +
      'naming the rendered file, the object and the spec',
    async () => {
      const platform = await loadPlatform(diskSource(repoRoot));
      if (!platform.ok) throw new Error('platform does not load');
      const { cluster } = platform.platform.clusters[0];
      const files = [
        file(
          'clusters/gkp-dev/projects/x/manifests/d-dev.yaml',
          'apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: q\n  namespace: ns\nspec:\n  hardd: {}\n',
          'x',
        ),
        file(
          'clusters/gkp-dev/projects/x/manifests/t-dev.yaml',
          'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: s\n  namespace: ns\n' +
            'automountServiceAccountToken: "no"\n',
          'x',
        ),
        file('clusters/gkp-dev/root-app.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: fine\n'),
      ];
      const findings = verdictDiagnostics(await kubeconformOnContent(repoRoot, cluster, files), files);
      expect(findings.map((f) => [f.file, f.rule, f.message])).toEqual([
        [
          'clusters/gkp-dev/projects/x/manifests/d-dev.yaml',
          'kubeconform',
          'ResourceQuota q: does not match the Kubernetes schema (rendered from projects/x.yaml)',
        ],
        [
          'clusters/gkp-dev/projects/x/manifests/t-dev.yaml',
          'kubeconform',
          'ServiceAccount s: does not match the Kubernetes schema (rendered from projects/x.yaml)',
        ],
      ]);
      expect(findings[0].detail).toContain('hardd');
      expect(findings[1].detail).toContain('/automountServiceAccountToken');
      // Only valid files are remembered (the verdict cache): a second run reports the same findings.
      expect(verdictDiagnostics(await kubeconformOnContent(repoRoot, cluster, files), files)).toEqual(findings);
    },
  );

  it('gives kubeconform the committed manifests, not what Argo CD builds the chart from', async () => {
    const ws = await createTempWorkspace();
    try {
      // The same object kubeconform refuses, written as a manifest and as the chart's two inputs.
      const refused =
        'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: s\nautomountServiceAccountToken: "no"\n';
      for (const file of ['manifests/namespace.yaml', 'kustomization.yaml', 'flyte-values.yaml'])
        await writeFile(join(ws.root, 'clusters/gkp-dev/platform', file), refused);
      const platform = await loadPlatform(diskSource(ws.root));
      if (!platform.ok) throw new Error('platform does not load');
      const tree = await diskTree(ws.root).read(treeFolders);
      const early = kubeconformCommitted(
        ws.root,
        platform.platform,
        tree,
        committedPaths(tree, platform.platform, everything),
      );
      const verdicts = await early.get('gkp-dev')!;
      expect([...new Set(verdicts.map((v) => v.file))]).toEqual(['clusters/gkp-dev/platform/manifests/namespace.yaml']);
    } finally {
      await ws.remove();
    }
  });
});
