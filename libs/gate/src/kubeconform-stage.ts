import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Diagnostic } from '@flyte-gkp/diagnostics';
import { runKubeconform, toolchainSettings } from '@flyte-gkp/kubeconform';
import type { Cluster } from '@flyte-gkp/platform';
import type { RenderedFile } from '@flyte-gkp/render';

/**
 * Runs the real kubeconform on the rendered manifests of one cluster. They are written to a scratch
 * folder under their repository paths, so every verdict names the rendered file and, through it, the spec.
 */
export async function kubeconformStage(root: string, cluster: Cluster, files: RenderedFile[]): Promise<Diagnostic[]> {
  const manifests = files.filter((f) => f.type === 'manifest');
  if (manifests.length === 0) return [];
  const scratch = await mkdtemp(join(tmpdir(), 'flyte-gkp-kubeconform-'));
  try {
    for (const f of manifests) {
      await mkdir(dirname(join(scratch, f.path)), { recursive: true });
      await writeFile(join(scratch, f.path), f.content);
    }
    const settings = toolchainSettings(root, cluster.kubernetesVersion, cluster.argocd.version);
    const verdicts = await runKubeconform(
      manifests.map((f) => f.path),
      scratch,
      settings,
    );
    const byPath = new Map(manifests.map((f) => [f.path, f]));
    return verdicts
      .filter((v) => v.status === 'invalid' || v.status === 'error')
      .map((v) => {
        const file = byPath.get(v.file);
        const origin = file?.project ? ` (rendered from ${file.sources[0]})` : '';
        const details = v.errors.map((e) => `${e.path || '/'}: ${e.message}`);
        const subject = v.kind ? `${v.kind} ${v.name}` : 'the file';
        // Without a kind, kubeconform could not even read the file as YAML: no schema is to blame.
        const fix = !v.kind
          ? 'the renderer wrote YAML that Kubernetes cannot read: a renderer bug, report it with the spec named above'
          : v.status === 'error'
            ? 'a schema is missing or unreadable: run `npm run setup`, or check the schema locations'
            : 'the renderer produced an object the cluster would reject: fix the renderer or the platform input named above';
        return {
          file: v.file,
          rule: 'kubeconform',
          message: `${subject}: ${v.status === 'error' ? v.message : 'does not match the Kubernetes schema'}${origin}`,
          fix,
          detail: details.length ? details.join('\n') : undefined,
        };
      });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
