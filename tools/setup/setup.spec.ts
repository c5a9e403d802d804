import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKubeconform, toolchainSettings } from '@flyte-gkp/kubeconform';
import { convertCrdFiles, crdToJsonSchemas } from './crd-to-json-schema.mjs';
import {
  SetupError,
  argoCdModule,
  clusterChartVersions,
  clusterKubernetesVersions,
  ensureArgoCdSchemas,
  ensureExternalSecretsSchemas,
  ensureFlyteCharts,
  ensureFlyteidl,
  ensureGoTool,
  flyteidlFolder,
  goBinaryName,
  flyteChartDir,
  flyteChartPin,
  flyteChartStamp,
  installKubernetesSchemas,
  kubernetesValidatePin,
  readToolchain,
  type Toolchain,
} from './setup.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const toolchain = readToolchain(repoRoot);
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'setup-spec-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A tiny CRD in the shape Argo CD's have: nested objects, a map, int-or-string, preserve-unknown-fields,
// and a field that is itself NAMED "properties".
const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    names: { kind: 'Widget', plural: 'widgets' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1beta2',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: { type: 'object' },
              spec: {
                type: 'object',
                required: ['size'],
                properties: {
                  size: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
                  labels: { type: 'object', additionalProperties: { type: 'string' } },
                  template: { type: 'object', properties: { image: { type: 'string' } } },
                  values: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  properties: { type: 'object', properties: { color: { type: 'string' } } },
                },
              },
            },
          },
        },
      },
    ],
  },
};

describe('CRD to JSON Schema conversion', () => {
  it('names the file as kubeconform looks it up and closes every object with properties', () => {
    const [converted, ...rest] = crdToJsonSchemas(widgetCrd);
    expect(rest).toEqual([]);
    expect(converted.fileName).toBe('widget-example-v1beta2.json');

    const schema = converted.schema as any;
    expect(schema.additionalProperties).toBe(false);
    const spec = schema.properties.spec;
    expect(spec.additionalProperties).toBe(false);
    expect(spec.properties.template.additionalProperties).toBe(false);
    expect(spec.properties.properties.additionalProperties).toBe(false);
    // The map keeps its own additionalProperties, the preserve-unknown-fields object stays open,
    // and the "properties" FIELD is not mistaken for a schema keyword.
    expect(spec.properties.labels.additionalProperties).toEqual({ type: 'string' });
    expect(spec.properties.values).not.toHaveProperty('additionalProperties');
    expect(spec.properties).not.toHaveProperty('additionalProperties');
    expect(spec.properties.size.anyOf).toEqual([{ type: 'string' }, { type: 'integer' }]);
    // The input CRD is left untouched.
    expect(widgetCrd.spec.versions[0].schema.openAPIV3Schema.properties.spec).not.toHaveProperty(
      'additionalProperties',
    );
  });

  it('produces schemas that the real kubeconform applies as intended', async () => {
    const schemaDir = join(tmp, 'widget-schemas');
    const crdFile = join(tmp, 'widget-crd.yaml');
    mkdirSync(schemaDir);
    // A List and a second document that is not a CRD, as `kubectl get crd -o yaml` and bundles write them.
    writeFileSync(
      crdFile,
      `apiVersion: v1\nkind: List\nitems:\n- ${JSON.stringify(widgetCrd)}\n---\n` +
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n',
    );
    expect(convertCrdFiles([crdFile], schemaDir)).toEqual(['widget-example-v1beta2.json']);

    const widget = (name: string, spec: string) =>
      `apiVersion: example.com/v1beta2\nkind: Widget\nmetadata: {name: ${name}}\nspec:\n${spec}---\n`;
    writeFileSync(
      join(tmp, 'widgets.yaml'),
      [
        widget('int-size', '  size: 3\n  values: {free: {form: [1]}}\n  labels: {a: b}\n  properties: {color: red}\n'),
        widget('percent-size', '  size: "50%"\n'),
        widget('bool-size', '  size: true\n'),
        widget('nested-typo', '  size: 1\n  template: {imagee: x}\n'),
        widget('map-of-numbers', '  size: 1\n  labels: {a: 1}\n'),
      ].join(''),
    );
    const settings = {
      ...toolchainSettings(repoRoot, '1.21.0', 'unused'),
      schemaLocations: [join(schemaDir, '{{ .ResourceKind }}{{ .KindSuffix }}.json')],
    };
    const verdicts = await runKubeconform(['widgets.yaml'], tmp, settings);

    expect(
      Object.fromEntries(verdicts.map((v) => [v.name, [v.status, ...new Set(v.errors.map((e) => e.path))]])),
    ).toEqual({
      'int-size': ['valid'],
      'percent-size': ['valid'],
      'bool-size': ['invalid', '/spec/size'],
      'nested-typo': ['invalid', '/spec/template'],
      'map-of-numbers': ['invalid', '/spec/labels/a'],
    });
  });
});

describe('Kubernetes versions of the clusters', () => {
  it('reads the top-level kubernetesVersion of every cluster file', () => {
    const clusters = join(tmp, 'clusters-ok');
    mkdirSync(clusters);
    writeFileSync(join(clusters, 'b.yaml'), 'name: b\nkubernetesVersion: "1.30.2"  # newer cluster\n');
    writeFileSync(
      join(clusters, 'a.yaml'),
      'name: a\nkubernetesVersion: 1.21.0\nargocd:\n  kubernetesVersion: 9.9.9\n',
    );
    writeFileSync(join(clusters, 'notes.md'), 'kubernetesVersion: 5.0.0\n');

    expect(clusterKubernetesVersions(tmp, 'clusters-ok')).toEqual([
      { file: 'clusters-ok/a.yaml', version: '1.21.0' },
      { file: 'clusters-ok/b.yaml', version: '1.30.2' },
    ]);
  });

  it('names a cluster file whose kubernetesVersion is missing or only nested', () => {
    const clusters = join(tmp, 'clusters-nested');
    mkdirSync(clusters);
    writeFileSync(join(clusters, 'dev.yaml'), 'name: dev\nargocd:\n  kubernetesVersion: 1.21.0\n');

    expect(() => clusterKubernetesVersions(tmp, 'clusters-nested')).toThrow(SetupError);
    expect(() => clusterKubernetesVersions(tmp, 'clusters-nested')).toThrow(
      /clusters-nested\/dev\.yaml has no top-level `kubernetesVersion: X.Y.Z`/,
    );
  });

  it(
    'maps a minor version to its pinned kubernetes-validate release, ' +
      'and an unknown minor to an error naming tools/toolchain.json',
    () => {
      expect(kubernetesValidatePin(toolchain, '1.21.0')).toBe('1.21.0');
      expect(kubernetesValidatePin(toolchain, '1.30.4')).toBe('1.37.0');

      expect(() => kubernetesValidatePin(toolchain, '1.22.3')).toThrow(SetupError);
      expect(() => kubernetesValidatePin(toolchain, '1.22.3')).toThrow(
        /Kubernetes 1\.22 .*\n.*"1\.22".*tools\/toolchain\.json/,
      );
    },
  );
});

describe('Kubernetes schemas from a kubernetes-validate archive', () => {
  // The layout of kubernetes-validate 1.37.0: an https $id in every file and "/api/..." refs, which
  // kubeconform would resolve on the network (and then report "could not find schema").
  const schema = (id: string, body: object) =>
    JSON.stringify({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: `https://kubernetes.io/api/${id}`,
      ...body,
    });
  const packageFiles = {
    'v1.30.0-local-strict/_definitions.json': schema('_definitions.json', {
      $defs: { meta: { type: 'object', properties: { name: { type: 'string' } }, additionalProperties: false } },
    }),
    'v1.30.0-local-strict/namespace-v1.json': schema('namespace/v1', {
      type: 'object',
      additionalProperties: false,
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { $ref: '/api/_definitions.json#/$defs/meta' },
      },
    }),
    'v1.29.0-local-strict/namespace-v1.json': '{"not": "extracted"}',
  };
  /** Builds a fake sdist (.tar.gz) and wheel (.whl) of kubernetes-validate. */
  function fakeArchives(): string[] {
    const dir = join(tmp, 'fake-package');
    const schemas = join(dir, 'tree/kubernetes-validate-9.9.9/src/kubernetes_validate/kubernetes-json-schema');
    for (const [name, text] of Object.entries(packageFiles)) {
      mkdirSync(dirname(join(schemas, name)), { recursive: true });
      writeFileSync(join(schemas, name), text);
    }
    const sdist = join(dir, 'kubernetes-validate-9.9.9.tar.gz');
    const wheel = join(dir, 'kubernetes_validate-9.9.9-py3-none-any.whl');
    expect(spawnSync('tar', ['czf', sdist, '-C', join(dir, 'tree'), '.']).status).toBe(0);
    const zip = `import shutil, sys; shutil.move(shutil.make_archive(sys.argv[1], 'zip', sys.argv[2]), sys.argv[1])`;
    expect(spawnSync('python3', ['-c', zip, wheel, join(dir, 'tree/kubernetes-validate-9.9.9/src')]).status).toBe(0);
    return [sdist, wheel];
  }

  it(
    'installs the minor version folder under the full version, ' + 'with references kubeconform resolves offline',
    async () => {
      for (const [i, archive] of fakeArchives().entries()) {
        const root = join(tmp, `k8s-root-${i}`);
        installKubernetesSchemas(root, '1.30.2', archive, 'test-stamp');

        const installed = join(root, '.tools/schemas/kubernetes/v1.30.2-local-strict');
        expect(readdirSync(installed).sort()).toEqual(['.stamp', '_definitions.json', 'namespace-v1.json']);
        writeFileSync(
          join(root, 'ns.yaml'),
          'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n' +
            'apiVersion: v1\nkind: Namespace\nmetadata: {nmae: b}\n',
        );
        const settings = {
          ...toolchainSettings(root, '1.30.2', 'unused'),
          binary: toolchainSettings(repoRoot, '1.30.2', 'unused').binary,
        };
        const verdicts = await runKubeconform(['ns.yaml'], root, {
          ...settings,
          schemaLocations: settings.schemaLocations.slice(0, 1),
        });

        expect(
          verdicts.map((v) => [v.status, v.errors.map((e) => e.path)]),
          basename(archive),
        ).toEqual([
          ['invalid', ['/metadata']],
          ['valid', []],
        ]);
      }
    },
  );

  it('names tools/toolchain.json when the pinned package lacks the version', () => {
    const [sdist] = fakeArchives();
    expect(() => installKubernetesSchemas(join(tmp, 'k8s-root-missing'), '1.22.0', sdist, 'x')).toThrow(
      /has no v1\.22\.0-local-strict\/ schemas .*tools\/toolchain\.json/,
    );
  });
});

describe('Argo CD schemas', () => {
  const minimalCrd = (kind: string) =>
    'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: x}\n' +
    `spec:\n  group: argoproj.io\n  names: {kind: ${kind}}\n  versions:\n  - name: v1alpha1\n` +
    '    schema:\n      openAPIV3Schema: {type: object, properties: {spec: {type: object}}}\n';
  const writeCrds = (dir: string) => {
    mkdirSync(dir, { recursive: true });
    for (const kind of ['Application', 'AppProject', 'ApplicationSet'])
      writeFileSync(join(dir, `${kind.toLowerCase()}-crd.yaml`), minimalCrd(kind));
  };

  // The machine's own Go environment (module cache, proxy), without the override.
  const { ARGOCD_CRDS_DIR: _override, ...goEnv } = process.env;
  /** Go with no proxy and an empty module cache: any attempt to download fails. */
  const offlineGoEnv = () => ({ ...goEnv, GOPROXY: 'off', GOMODCACHE: mkdtempSync(join(tmp, 'empty-modcache-')) });

  it('names the Go module of a release by its major version', () => {
    expect(argoCdModule('v2.14.11')).toBe('github.com/argoproj/argo-cd/v2');
    expect(argoCdModule('v3.5.1')).toBe('github.com/argoproj/argo-cd/v3');
    expect(argoCdModule('v1.8.7')).toBe('github.com/argoproj/argo-cd');
    expect(() => argoCdModule('latest')).toThrow(/"argoCd.version" in tools\/toolchain.json is "latest"/);
  });

  it("converts the CRDs of Argo CD's Go module, then stays up to date without asking Go again", async () => {
    const root = join(tmp, 'argo-go-root');

    expect(await ensureArgoCdSchemas(root, toolchain, goEnv)).toBe(
      `Argo CD ${toolchain.argoCd.version} schemas installed from ` +
        `the Go module github.com/argoproj/argo-cd/v2@${toolchain.argoCd.version} ` +
        '(application-argoproj-v1alpha1.json, appproject-argoproj-v1alpha1.json, ' +
        'applicationset-argoproj-v1alpha1.json)',
    );
    const application = JSON.parse(
      readFileSync(
        join(root, `.tools/schemas/argo-cd/${toolchain.argoCd.version}/application-argoproj-v1alpha1.json`),
        'utf8',
      ),
    );
    expect(application.properties.spec.required).toEqual(expect.arrayContaining(['destination', 'project']));

    expect(await ensureArgoCdSchemas(root, toolchain, offlineGoEnv())).toBe(
      `Argo CD ${toolchain.argoCd.version} schemas up to date`,
    );
  });

  it('says what failed and what to set when the Go module cannot be downloaded', async () => {
    const unknown: Toolchain = { ...toolchain, argoCd: { version: 'v2.999.0' } };
    const attempt = ensureArgoCdSchemas(join(tmp, 'argo-go-offline'), unknown, offlineGoEnv());

    await expect(attempt).rejects.toThrow(SetupError);
    await expect(attempt).rejects.toThrow(
      new RegExp(
        [
          String.raw`could not download Argo CD v2\.999\.0's CRDs, `,
          String.raw`\`go mod download github\.com\/argoproj\/argo-cd\/v2@v2\.999\.0\` failed: .*GOPROXY=off.*\n`,
          String.raw`.*"argoCd\.version".*\n.*set ARGOCD_CRDS_DIR`,
        ].join(''),
      ),
    );
  });

  it('installs once, then reports up to date until a CRD changes', async () => {
    const root = join(tmp, 'argo-root');
    const env = { ARGOCD_CRDS_DIR: join(tmp, 'argo-crds') };
    writeCrds(env.ARGOCD_CRDS_DIR);

    expect(await ensureArgoCdSchemas(root, toolchain, env)).toMatch(
      new RegExp(
        [
          String.raw`installed from ARGOCD_CRDS_DIR \(.*argo-crds\) `,
          String.raw`\(application-argoproj-v1alpha1\.json, appproject-argoproj-v1alpha1\.json, `,
          String.raw`applicationset-argoproj-v1alpha1\.json\)`,
        ].join(''),
      ),
    );
    expect(await ensureArgoCdSchemas(root, toolchain, env)).toMatch(/up to date$/);

    writeFileSync(
      join(env.ARGOCD_CRDS_DIR, 'appproject-crd.yaml'),
      minimalCrd('AppProject').replace('type: object}}}', 'type: object}, status: {type: object}}}'),
    );
    expect(await ensureArgoCdSchemas(root, toolchain, env)).toMatch(/installed/);
    const project = JSON.parse(
      readFileSync(
        join(root, `.tools/schemas/argo-cd/${toolchain.argoCd.version}/appproject-argoproj-v1alpha1.json`),
        'utf8',
      ),
    );
    expect(Object.keys(project.properties)).toEqual(['spec', 'status']);
  });

  it('says what to set and where to get the CRDs when the folder is missing', async () => {
    const env = { ARGOCD_CRDS_DIR: join(tmp, 'no-such-folder') };

    await expect(ensureArgoCdSchemas(join(tmp, 'empty-root'), toolchain, env)).rejects.toThrow(SetupError);
    await expect(ensureArgoCdSchemas(join(tmp, 'empty-root'), toolchain, env)).rejects.toThrow(
      /Set ARGOCD_CRDS_DIR .*manifests\/crds\/ folder of the Argo CD v\d/,
    );
  });
});

describe('External Secrets Operator schemas', () => {
  it("converts every CRD of the operator's Go module, then stays up to date without asking Go again", async () => {
    const root = join(tmp, 'eso-go-root');
    const { version } = toolchain.externalSecrets;

    expect(await ensureExternalSecretsSchemas(root, toolchain, process.env)).toMatch(
      `External Secrets Operator ${version} schemas installed from the Go module ` +
        `github.com/external-secrets/external-secrets@${version}`,
    );
    const store = JSON.parse(
      readFileSync(
        join(root, `.tools/schemas/external-secrets/${version}/secretstore-external-secrets-v1.json`),
        'utf8',
      ),
    );
    const kubernetesAuth =
      store.properties.spec.properties.provider.properties.vault.properties.auth.properties.kubernetes;
    expect(kubernetesAuth.required).toEqual(['mountPath', 'role']);
    expect(kubernetesAuth.additionalProperties).toBe(false);

    const offline = { ...process.env, GOPROXY: 'off', GOMODCACHE: mkdtempSync(join(tmp, 'eso-empty-modcache-')) };
    expect(await ensureExternalSecretsSchemas(root, toolchain, offline)).toBe(
      `External Secrets Operator ${version} schemas up to date`,
    );
  });

  it('says what failed and what to check when the Go module cannot be downloaded', async () => {
    const unknown: Toolchain = { ...toolchain, externalSecrets: { ...toolchain.externalSecrets, version: 'v0.999.0' } };
    const offline = { ...process.env, GOPROXY: 'off', GOMODCACHE: mkdtempSync(join(tmp, 'eso-offline-modcache-')) };
    await expect(ensureExternalSecretsSchemas(join(tmp, 'eso-offline'), unknown, offline)).rejects.toThrow(
      new RegExp(
        [
          String.raw`could not download External Secrets Operator v0\.999\.0's CRDs, .*GOPROXY=off.*\n`,
          String.raw`.*"externalSecrets" in tools\/toolchain\.json`,
        ].join(''),
      ),
    );
  });
});

describe('tools built with go install', () => {
  const kubeconform = toolchain.kubeconform;
  const binary = (root: string) => join(root, '.tools/bin/kubeconform');

  it('keeps a binary whose stamp names the pinned version, without asking Go', () => {
    const root = join(tmp, 'go-tool-kept');
    mkdirSync(join(root, '.tools/bin'), { recursive: true });
    writeFileSync(binary(root), 'stand-in\n');
    writeFileSync(`${binary(root)}.version`, `${kubeconform.version}\n`);

    expect(ensureGoTool(root, kubeconform)).toBe(`kubeconform ${kubeconform.version} up to date`);
    expect(readFileSync(binary(root), 'utf8')).toBe('stand-in\n');
  });

  it('installs the pinned version again when the stamp names another one', () => {
    const root = join(tmp, 'go-tool-stale');
    mkdirSync(join(root, '.tools/bin'), { recursive: true });
    writeFileSync(binary(root), 'stand-in\n');
    writeFileSync(`${binary(root)}.version`, 'v0.6.0\n');

    expect(ensureGoTool(root, kubeconform)).toBe(`kubeconform ${kubeconform.version} installed`);
    expect(readFileSync(`${binary(root)}.version`, 'utf8')).toBe(`${kubeconform.version}\n`);
    expect(spawnSync(binary(root), ['-v'], { encoding: 'utf8' }).status).toBe(0);
  });

  it('finds the binary of a module with a major-version suffix under the name go install gives it', () => {
    expect(goBinaryName(toolchain.kustomize.module)).toBe('kustomize');
    expect(goBinaryName(toolchain.helm.module)).toBe('helm');
    // The repository's own install is what every stage runs: it must be where the name says.
    expect(
      spawnSync(join(repoRoot, '.tools/bin', goBinaryName(toolchain.kustomize.module)), ['version'], {
        encoding: 'utf8',
      }).status,
    ).toBe(0);
  });
});

describe('chart versions of the clusters', () => {
  const clusterFile = (dir: string, name: string, text: string) => {
    mkdirSync(join(tmp, dir), { recursive: true });
    writeFileSync(join(tmp, dir, name), text);
  };

  it('reads chartVersion directly under the top-level flyte key of every cluster file', () => {
    clusterFile(
      'charts-ok',
      'a.yaml',
      'name: a\nflyte:\n  # the platform\n  chart: flyte\n' +
        '  chartVersion: v0.15.0 # pinned\n  extra:\n    chartVersion: v9.9.9\n',
    );
    clusterFile(
      'charts-ok',
      'b.yaml',
      'other:\n  chartVersion: v1.0.0\nflyte:\n\n    chartVersion: "v0.16.0"\nstorage: {}\n',
    );

    expect(clusterChartVersions(tmp, 'charts-ok')).toEqual([
      { file: 'charts-ok/a.yaml', version: 'v0.15.0' },
      { file: 'charts-ok/b.yaml', version: 'v0.16.0' },
    ]);
  });

  it('names the cluster file whose chartVersion is missing, or is not a version', () => {
    clusterFile(
      'charts-missing',
      'dev.yaml',
      'flyte:\n  chart: flyte\n  nested:\n    chartVersion: v0.15.0\nchartVersion: v0.15.0\n',
    );
    clusterFile('charts-path', 'dev.yaml', 'flyte:\n  chartVersion: ../../etc\n');

    expect(() => clusterChartVersions(tmp, 'charts-missing')).toThrow(
      /charts-missing\/dev\.yaml has no `chartVersion:` under its top-level `flyte:`/,
    );
    expect(() => clusterChartVersions(tmp, 'charts-path')).toThrow(
      /charts-path\/dev\.yaml: flyte\.chartVersion "\.\.\/\.\.\/etc" is not a chart version/,
    );
  });

  it('pins v0.15.0, the package published with the release, and names the toolchain key for an unknown version', () => {
    expect(flyteChartPin(toolchain, 'v0.15.0')).toEqual({
      url: 'https://github.com/flyteorg/flyte/releases/download/v0.15.0/flyte-v0.15.0.tgz',
      sha256: '1a433e78c0cf9f98128637cc7d6d03688010963d268f0ae1b9c9afe9723c5358',
    });

    expect(() => flyteChartPin(toolchain, 'v0.16.0', 'platform/clusters/gkp-test.yaml')).toThrow(SetupError);
    expect(() => flyteChartPin(toolchain, 'v0.16.0', 'platform/clusters/gkp-test.yaml')).toThrow(
      new RegExp(
        [
          String.raw`^platform\/clusters\/gkp-test\.yaml names the flyte chart v0\.16\.0, `,
          String.raw`and no package is pinned for it \(pinned now: v0\.15\.0\)\.\n`,
          String.raw`.*Add "v0\.16\.0": \{ "url": .*"sha256": .* under "flyteChart" in tools\/toolchain\.json`,
        ].join(''),
      ),
    );
  });
});

describe('the flyte chart', () => {
  const helm = join(repoRoot, '.tools/bin/helm');
  const version = 'v9.9.9';
  let server: Server;
  let requests: string[];
  let packages: Map<string, Buffer>;
  let baseUrl: string;
  let tiny: { tgz: string; folder: string; sha256: string };

  /** A chart as `helm package` writes it: one top folder (tiny/) holding Chart.yaml and templates/. */
  function packageChart(name: string, configMapName: string): { tgz: string; folder: string; sha256: string } {
    const folder = join(tmp, 'chart-src', name);
    mkdirSync(join(folder, 'templates'), { recursive: true });
    writeFileSync(join(folder, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: 9.9.9\n`);
    writeFileSync(
      join(folder, 'templates/configmap.yaml'),
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${configMapName}\n  namespace: {{ .Release.Namespace }}\n`,
    );
    const out = join(tmp, 'chart-packages', name);
    const helmPackage = spawnSync(helm, ['package', folder, '-d', out], { encoding: 'utf8' });
    expect(helmPackage.stderr).toBe('');
    const tgz = join(out, `${name}-9.9.9.tgz`);
    return { tgz, folder, sha256: createHash('sha256').update(readFileSync(tgz)).digest('hex') };
  }

  const pinned = (url: string, sha256 = tiny.sha256): Toolchain => ({
    ...toolchain,
    flyteChart: { [version]: { url, sha256 } },
  });
  /** A repository root whose one cluster file names the chart version. */
  function repo(name: string): string {
    const root = join(tmp, name);
    mkdirSync(join(root, 'platform/clusters'), { recursive: true });
    writeFileSync(
      join(root, 'platform/clusters/dev.yaml'),
      `name: dev\nflyte:\n  chart: flyte\n  chartVersion: ${version}\n`,
    );
    return root;
  }
  /** What helm renders from the installed chart folder: the proof that it is a chart, not just files. */
  function renderInstalled(root: string): string {
    const rendered = spawnSync(helm, ['template', 'flyte', flyteChartDir(root, version), '-n', 'ns-a'], {
      encoding: 'utf8',
    });
    expect(rendered.stderr).toBe('');
    return rendered.stdout;
  }
  async function closedPortUrl(): Promise<string> {
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const { port } = probe.address() as AddressInfo;
    await new Promise((done) => probe.close(done));
    return `http://127.0.0.1:${port}/flyte-${version}.tgz`;
  }

  beforeAll(async () => {
    tiny = packageChart('tiny', 'from-the-package');
    packages = new Map([['/flyte-v9.9.9.tgz', readFileSync(tiny.tgz)]]);
    requests = [];
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      const body = packages.get(request.url ?? '');
      response.writeHead(body ? 200 : 404).end(body);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((done) => server.close(done)));

  it('downloads the pinned package once, checks its sha256 and installs the chart folder flattened', async () => {
    const root = repo('chart-download');
    const url = `${baseUrl}/flyte-${version}.tgz`;

    expect(await ensureFlyteCharts(root, pinned(url), {})).toEqual([
      `flyte chart ${version} installed into .tools/charts/flyte-${version} from ${url}, sha256 verified`,
    ]);
    expect(readdirSync(flyteChartDir(root, version)).sort()).toEqual(['Chart.yaml', 'templates']);
    expect(renderInstalled(root)).toContain('name: from-the-package\n  namespace: ns-a');
    expect(JSON.parse(readFileSync(flyteChartStamp(root, version), 'utf8'))).toEqual({
      pin: tiny.sha256,
      source: url,
      sha256: tiny.sha256,
    });

    expect(await ensureFlyteCharts(root, pinned(url), {})).toEqual([
      `flyte chart ${version} up to date (from ${url}, sha256 verified)`,
    ]);
    expect(requests.filter((r) => r === `/flyte-${version}.tgz`)).toHaveLength(1);
  });

  it('refuses a package whose sha256 is not the pinned one, and installs nothing', async () => {
    const root = repo('chart-mismatch');
    const otherDigest = createHash('sha256').update('another package').digest('hex');
    const attempt = ensureFlyteCharts(root, pinned(`${baseUrl}/flyte-${version}.tgz`, otherDigest), {});

    await expect(attempt).rejects.toThrow(SetupError);
    await expect(attempt).rejects.toThrow(
      new RegExp(
        `has sha256 ${tiny.sha256}, not the one pinned for ${version} ` +
          `\\("flyteChart" → "${version}" → "sha256" in tools/toolchain.json: ${otherDigest}\\); ` +
          'refusing it\\.\\n.*FLYTE_CHART_URL',
      ),
    );
    expect(existsSync(flyteChartDir(root, version))).toBe(false);
  });

  it('says what to set when the URL cannot be reached, and takes a mirror from FLYTE_CHART_URL', async () => {
    const root = repo('chart-mirror');
    const unreachable = await closedPortUrl();

    await expect(ensureFlyteCharts(root, pinned(unreachable), {})).rejects.toThrow(
      new RegExp(
        `could not download the flyte chart ${version} from ${unreachable}: .*ECONNREFUSED.*\\n` +
          `.*Set FLYTE_CHART_URL to a mirror .*sha256 ${tiny.sha256}.*\\n` +
          '.*or FLYTE_CHART to a copy of it',
      ),
    );
    const notThere = `${baseUrl}/elsewhere.tgz`;
    await expect(ensureFlyteCharts(root, pinned(unreachable), { FLYTE_CHART_URL: notThere })).rejects.toThrow(
      `from ${notThere}: HTTP 404 Not Found.`,
    );

    const mirror = `${baseUrl}/flyte-{version}.tgz`;
    expect(await ensureFlyteCharts(root, pinned(unreachable), { FLYTE_CHART_URL: mirror })).toEqual([
      `flyte chart ${version} installed into .tools/charts/flyte-${version} ` +
        `from ${baseUrl}/flyte-${version}.tgz, sha256 verified`,
    ]);
    expect(renderInstalled(root)).toContain('name: from-the-package');
  });

  it('takes a package given by FLYTE_CHART only with the pinned sha256', async () => {
    const root = repo('chart-given-package');
    const other = packageChart('other', 'from-another-package');
    const unreachable = await closedPortUrl();

    await expect(ensureFlyteCharts(root, pinned(unreachable), { FLYTE_CHART: other.tgz })).rejects.toThrow(
      new RegExp(
        `the flyte chart package ${other.tgz} \\(FLYTE_CHART\\) ` +
          `has sha256 ${other.sha256}, not the one pinned for ${version}`,
      ),
    );
    expect(await ensureFlyteCharts(root, pinned(unreachable), { FLYTE_CHART: tiny.tgz })).toEqual([
      `flyte chart ${version} installed into .tools/charts/flyte-${version} from ${tiny.tgz}, sha256 verified`,
    ]);
    expect(readdirSync(flyteChartDir(root, version)).sort()).toEqual(['Chart.yaml', 'templates']);
  });

  it('takes a folder given by FLYTE_CHART as it is, says so, and copies it again when it changes', async () => {
    const root = repo('chart-given-folder');
    const folder = join(tmp, 'chart-folder-given');
    mkdirSync(folder);
    spawnSync('cp', ['-r', `${tiny.folder}/.`, folder]);
    const unreachable = await closedPortUrl();
    const given =
      `flyte chart ${version} installed into .tools/charts/flyte-${version} from the folder ${folder}, ` +
      "taken as given: a folder cannot be checked against the package's sha256";

    expect(await ensureFlyteCharts(root, pinned(unreachable), { FLYTE_CHART: folder })).toEqual([given]);
    expect(await ensureFlyteCharts(root, pinned(unreachable), { FLYTE_CHART: folder })).toEqual([
      expect.stringMatching(/ up to date \(from the folder .*taken as given/),
    ]);

    writeFileSync(
      join(folder, 'templates/configmap.yaml'),
      readFileSync(join(folder, 'templates/configmap.yaml'), 'utf8').replace('from-the-package', 'edited'),
    );
    expect(await ensureFlyteCharts(root, pinned(unreachable), { FLYTE_CHART: folder })).toEqual([given]);
    expect(renderInstalled(root)).toContain('name: edited');

    // Unset again: the chart installed for this pin stays, no download is attempted.
    expect(await ensureFlyteCharts(root, pinned(unreachable), {})).toEqual([
      expect.stringMatching(/ up to date \(from the folder /),
    ]);
  });

  it('names FLYTE_CHART when it points at nothing, or at a folder that is not a chart', async () => {
    const root = repo('chart-given-wrong');
    mkdirSync(join(root, 'not-a-chart'));
    const unreachable = await closedPortUrl();

    await expect(ensureFlyteCharts(root, pinned(unreachable), { FLYTE_CHART: 'charts/none' })).rejects.toThrow(
      `FLYTE_CHART names ${join(root, 'charts/none')}, which does not exist: ` +
        `point it at the flyte chart ${version}, a chart folder or its .tgz package.`,
    );
    await expect(ensureFlyteCharts(root, pinned(unreachable), { FLYTE_CHART: 'not-a-chart' })).rejects.toThrow(
      `FLYTE_CHART names the folder ${join(root, 'not-a-chart')}, which holds no Chart.yaml`,
    );
    expect(existsSync(flyteChartDir(root, version))).toBe(false);
  });

  it('refuses a package holding a link or a path outside the chart folder', async () => {
    for (const [name, make] of [
      ['link', (dir: string) => symlinkSync('/etc/passwd', join(dir, 'tiny/templates/passwd'))],
      ['parent', (dir: string) => writeFileSync(join(dir, 'escape.yaml'), 'x: 1\n')],
    ] as const) {
      const dir = join(tmp, `hostile-${name}`);
      mkdirSync(dir);
      spawnSync('cp', ['-r', tiny.folder, dir]);
      make(dir);
      const tgz = join(tmp, `hostile-${name}.tgz`);
      // tar's --transform writes the extra file as ../escape.yaml
      expect(spawnSync('tar', ['czf', tgz, '-C', dir, '--transform', 's,^\\./escape,../escape,', '.']).status).toBe(0);
      const sha256 = createHash('sha256').update(readFileSync(tgz)).digest('hex');
      const root = repo(`chart-hostile-${name}`);

      await expect(
        ensureFlyteCharts(root, pinned(await closedPortUrl(), sha256), { FLYTE_CHART: tgz }),
        name,
      ).rejects.toThrow(
        name === 'link'
          ? /holds \.\/tiny\/templates\/passwd, which is neither a file nor a folder: refusing it/
          : /holds \.\.\/escape\.yaml, outside the chart folder: refusing it/,
      );
      expect(existsSync(flyteChartDir(root, version))).toBe(false);
    }
  });

  it('needs {version} in FLYTE_CHART when the clusters use several chart versions', async () => {
    const root = repo('chart-several');
    writeFileSync(join(root, 'platform/clusters/prod.yaml'), 'flyte:\n  chartVersion: v0.15.0\n');

    await expect(ensureFlyteCharts(root, toolchain, { FLYTE_CHART: tiny.tgz })).rejects.toThrow(
      new RegExp(
        [
          String.raw`FLYTE_CHART names one chart, and the clusters use several versions \(v9\.9\.9, v0\.15\.0\): `,
          String.raw`write \{version\} in it`,
        ].join(''),
      ),
    );
  });
});

describe('setup.mjs as a command', () => {
  it('exits 1 with the actionable message and no stack trace', () => {
    // A throw-away repository whose npm install, kubeconform and helm are already in place.
    const root = join(tmp, 'cli-repo');
    mkdirSync(join(root, 'tools/setup'), { recursive: true });
    mkdirSync(join(root, 'node_modules'));
    mkdirSync(join(root, '.tools/bin'), { recursive: true });
    for (const file of [
      'tools/setup/setup.mjs',
      'tools/setup/crd-to-json-schema.mjs',
      'tools/toolchain.json',
      'package-lock.json',
    ]) {
      copyFileSync(join(repoRoot, file), join(root, file));
    }
    const lockHash = createHash('sha256')
      .update(readFileSync(join(root, 'package-lock.json'), 'utf8'))
      .digest('hex');
    writeFileSync(join(root, 'node_modules/.setup-package-lock.sha256'), `${lockHash}\n`);
    writeFileSync(join(root, '.tools/bin/kubeconform'), 'stand-in: setup only checks that it exists\n');
    writeFileSync(join(root, '.tools/bin/kubeconform.version'), `${toolchain.kubeconform.version}\n`);
    writeFileSync(join(root, '.tools/bin/helm'), 'stand-in\n');
    writeFileSync(join(root, '.tools/bin/helm.version'), `${toolchain.helm.version}\n`);

    const run = spawnSync(process.execPath, [join(root, 'tools/setup/setup.mjs')], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ARGOCD_CRDS_DIR: join(tmp, 'nowhere') },
    });

    // On standard error only: `npm run plan ... > plan.md` runs set-up first and must capture the plan alone.
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('setup: node_modules up to date');
    expect(run.stderr).toContain(`setup: kubeconform ${toolchain.kubeconform.version} up to date`);
    expect(run.stderr).toContain(`setup: helm ${toolchain.helm.version} up to date`);
    expect(run.stderr).toMatch(/^setup: error: the Argo CD v[\d.]+ CRDs were not found/m);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.status).toBe(1);
  });
});

describe("flyteidl's Python messages", () => {
  const toolchain = readToolchain(repoRoot);

  it('keeps a folder whose stamp names the pinned packages, without asking pip', () => {
    const root = mkdtempSync(join(tmpdir(), 'setup-flyteidl-'));
    try {
      mkdirSync(join(root, flyteidlFolder), { recursive: true });
      writeFileSync(join(root, flyteidlFolder, '.stamp'), `${toolchain.flyteidl.packages.join(' ')}\n`);
      expect(ensureFlyteidl(root, toolchain)).toBe(`flyteidl up to date (${toolchain.flyteidl.packages.join(' ')})`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('names tools/toolchain.json when the pin is missing', () => {
    const { flyteidl: _dropped, ...without } = toolchain;
    expect(() => ensureFlyteidl(repoRoot, without as Toolchain)).toThrow(SetupError);
    expect(() => ensureFlyteidl(repoRoot, without as Toolchain)).toThrow(/tools\/toolchain\.json/);
  });

  it('has installed the pinned flyteidl, whose Project knows the ARCHIVED state the registration sends', () => {
    const folder = join(repoRoot, flyteidlFolder);
    const check = spawnSync(
      'python3',
      ['-c', 'from flyteidl.admin import project_pb2; print(project_pb2.Project.ARCHIVED)'],
      { env: { PATH: process.env.PATH, PYTHONPATH: folder, PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION: 'python' } },
    );
    expect(check.stdout.toString().trim(), check.stderr.toString()).toBe('1');
    expect(readFileSync(join(folder, '.stamp'), 'utf8').trim()).toBe(toolchain.flyteidl.packages.join(' '));
  });
});
