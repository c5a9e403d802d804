import type { ImageOverride, Kustomization, TargetedPatch } from '@flyte-gkp/kustomize';
import type { Cluster, Pins } from '@flyte-gkp/platform';
import { chartImage } from './flyte-values.js';

/**
 * The platform folder Argo CD builds with kustomize (`--enable-helm`): the flyte chart inflated from the
 * platform team's mirror with our values, then the post-render steps below, for what chart v0.15.0 lets
 * no value change. The gate builds the same folder with the same kustomize and checks the result.
 */

/** An image the chart hard-codes where no value reaches: kustomize's `images` swaps in a pin of pins.yaml. */
export interface ChartImageOverride {
  /** the image as the chart writes it, without its tag */
  image: string;
  /** the pin in platform/pins.yaml that replaces it */
  pin: string;
  template: string;
  container: string;
  why: string;
}

export const chartImageOverrides: ChartImageOverride[] = [
  {
    image: 'docker.io/redocly/redoc',
    pin: 'redoc',
    template: 'flyte/templates/admin/deployment.yaml',
    container: 'redoc',
    why:
      'the OpenAPI viewer beside flyteadmin, ' +
      'written without a tag (whatever `latest` is on the day a node pulls it)',
  },
  {
    image: 'postgres',
    pin: 'postgres',
    template: 'flyte/templates/admin/deployment.yaml',
    container: 'check-db-ready',
    why:
      'the init container that waits for the database, written as postgres:10.16-alpine; ' +
      'the pinned postgres of the same release runs the same pg_isready',
  },
];

/** The chart's pod webhook Deployment (templates/propeller/webhook.yaml). */
const podWebhook = { group: 'apps', version: 'v1', kind: 'Deployment', name: 'flyte-pod-webhook' };

/** A JSON pointer segment (RFC 6901): `/` and `~` escaped. */
const pointerSegment = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * The webhook's pod takes flyteadmin's podAnnotations (the chart has no value of its own for them), so
 * the Vault agent that writes Flyte's Mercury keys for flyteadmin would run in it too, in a pod that
 * never reads them. Each of those annotations is removed again; a `remove` of a key the chart no longer
 * writes fails the build, so the patch cannot silently go stale.
 */
function webhookWithoutFlyteadminAnnotations(flyteadminPodAnnotations: Record<string, string>): TargetedPatch {
  const operations = Object.keys(flyteadminPodAnnotations)
    .sort()
    .map((key) => `- op: remove\n  path: /spec/template/metadata/annotations/${pointerSegment(key)}\n`);
  return { target: podWebhook, patch: operations.join('') };
}

/**
 * Propeller's config files (templates/propeller/configmap.yaml): the chart hard-codes `cache.yaml`, a
 * section flytepropeller v0.15 does not know. It ignores it at run time, but `config validate --strict`
 * refuses the whole config, so the file is removed.
 */
const propellerWithoutCacheSection: TargetedPatch = {
  target: { version: 'v1', kind: 'ConfigMap', name: 'flyte-propeller-config' },
  patch: '- op: remove\n  path: /data/cache.yaml\n',
};

export interface PlatformFolderFiles {
  /** the chart's values, beside the kustomization */
  valuesFile: string;
  flyteadminPodAnnotations: Record<string, string>;
}

export function platformKustomization(
  cluster: Cluster,
  pins: Pins,
  { valuesFile, flyteadminPodAnnotations }: PlatformFolderFiles,
): Kustomization {
  const images: ImageOverride[] = chartImageOverrides.map(({ image, pin }) => {
    const { repository, tag } = chartImage(pins, pin);
    return { name: image, newName: repository, newTag: tag };
  });
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    helmCharts: [
      {
        name: cluster.flyte.chart,
        repo: cluster.flyte.helmRepo,
        version: cluster.flyte.chartVersion,
        releaseName: 'flyte',
        namespace: cluster.systemNamespace,
        valuesFile,
      },
    ],
    images,
    patches: [
      ...(Object.keys(flyteadminPodAnnotations).length
        ? [webhookWithoutFlyteadminAnnotations(flyteadminPodAnnotations)]
        : []),
      propellerWithoutCacheSection,
    ],
  };
}
