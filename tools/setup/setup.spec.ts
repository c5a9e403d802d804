import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKubeconform, toolchainSettings } from '@flyte-gkp/kubeconform';
import { convertCrdFiles, crdToJsonSchemas } from './crd-to-json-schema.mjs';
import {
  SetupError,
  clusterKubernetesVersions,
  ensureArgoCdSchemas,
  installKubernetesSchemas,
  kubernetesValidatePin,
  readToolchain,
  resolveCrdsDir,
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
    expect(widgetCrd.spec.versions[0].schema.openAPIV3Schema.properties.spec).not.toHaveProperty('additionalProperties');
  });

  it('produces schemas that the real kubeconform applies as intended', async () => {
    const schemaDir = join(tmp, 'widget-schemas');
    const crdFile = join(tmp, 'widget-crd.yaml');
    mkdirSync(schemaDir);
    // A List and a second document that is not a CRD, as `kubectl get crd -o yaml` and bundles write them.
    writeFileSync(crdFile, `apiVersion: v1\nkind: List\nitems:\n- ${JSON.stringify(widgetCrd)}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n`);
    expect(convertCrdFiles([crdFile], schemaDir)).toEqual(['widget-example-v1beta2.json']);

    const widget = (name: string, spec: string) => `apiVersion: example.com/v1beta2\nkind: Widget\nmetadata: {name: ${name}}\nspec:\n${spec}---\n`;
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
    const settings = { ...toolchainSettings(repoRoot, '1.21.0', 'unused'), schemaLocations: [join(schemaDir, '{{ .ResourceKind }}{{ .KindSuffix }}.json')] };
    const verdicts = await runKubeconform(['widgets.yaml'], tmp, settings);

    expect(Object.fromEntries(verdicts.map((v) => [v.name, [v.status, ...new Set(v.errors.map((e) => e.path))]]))).toEqual({
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
    writeFileSync(join(clusters, 'a.yaml'), 'name: a\nkubernetesVersion: 1.21.0\nargocd:\n  kubernetesVersion: 9.9.9\n');
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
    expect(() => clusterKubernetesVersions(tmp, 'clusters-nested')).toThrow(/clusters-nested\/dev\.yaml has no top-level `kubernetesVersion: X.Y.Z`/);
  });

  it('maps a minor version to its pinned kubernetes-validate release, and an unknown minor to an error naming tools/toolchain.json', () => {
    expect(kubernetesValidatePin(toolchain, '1.21.0')).toBe('1.21.0');
    expect(kubernetesValidatePin(toolchain, '1.30.4')).toBe('1.37.0');

    expect(() => kubernetesValidatePin(toolchain, '1.22.3')).toThrow(SetupError);
    expect(() => kubernetesValidatePin(toolchain, '1.22.3')).toThrow(/Kubernetes 1\.22 .*\n.*"1\.22".*tools\/toolchain\.json/);
  });
});

describe('Kubernetes schemas from a kubernetes-validate archive', () => {
  // The layout of kubernetes-validate 1.37.0: an https $id in every file and "/api/..." refs, which
  // kubeconform would resolve on the network (and then report "could not find schema").
  const schema = (id: string, body: object) => JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', $id: `https://kubernetes.io/api/${id}`, ...body });
  const packageFiles = {
    'v1.30.0-local-strict/_definitions.json': schema('_definitions.json', {
      $defs: { meta: { type: 'object', properties: { name: { type: 'string' } }, additionalProperties: false } },
    }),
    'v1.30.0-local-strict/namespace-v1.json': schema('namespace/v1', {
      type: 'object',
      additionalProperties: false,
      properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { $ref: '/api/_definitions.json#/$defs/meta' } },
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

  it('installs the minor version folder under the full version, with references kubeconform resolves offline', async () => {
    for (const [i, archive] of fakeArchives().entries()) {
      const root = join(tmp, `k8s-root-${i}`);
      installKubernetesSchemas(root, '1.30.2', archive, 'test-stamp');

      const installed = join(root, '.tools/schemas/kubernetes/v1.30.2-local-strict');
      expect(readdirSync(installed).sort()).toEqual(['.stamp', '_definitions.json', 'namespace-v1.json']);
      writeFileSync(join(root, 'ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {nmae: b}\n');
      const settings = { ...toolchainSettings(root, '1.30.2', 'unused'), binary: toolchainSettings(repoRoot, '1.30.2', 'unused').binary };
      const verdicts = await runKubeconform(['ns.yaml'], root, { ...settings, schemaLocations: settings.schemaLocations.slice(0, 1) });

      expect(verdicts.map((v) => [v.status, v.errors.map((e) => e.path)]), basename(archive)).toEqual([
        ['invalid', ['/metadata']],
        ['valid', []],
      ]);
    }
  });

  it('names tools/toolchain.json when the pinned package lacks the version', () => {
    const [sdist] = fakeArchives();
    expect(() => installKubernetesSchemas(join(tmp, 'k8s-root-missing'), '1.22.0', sdist, 'x')).toThrow(/has no v1\.22\.0-local-strict\/ schemas .*tools\/toolchain\.json/);
  });
});

describe('Argo CD schemas', () => {
  const minimalCrd = (kind: string) =>
    `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: x}\nspec:\n  group: argoproj.io\n  names: {kind: ${kind}}\n  versions:\n  - name: v1alpha1\n    schema:\n      openAPIV3Schema: {type: object, properties: {spec: {type: object}}}\n`;
  const writeCrds = (dir: string) => {
    mkdirSync(dir, { recursive: true });
    for (const kind of ['Application', 'AppProject', 'ApplicationSet']) writeFileSync(join(dir, `${kind.toLowerCase()}-crd.yaml`), minimalCrd(kind));
  };

  it('takes the CRD folder from ARGOCD_CRDS_DIR, else from tools/toolchain.json relative to the repository', () => {
    expect(resolveCrdsDir('/repo', toolchain, {})).toBe(resolve('/repo', toolchain.argoCd.crdsDir));
    expect(resolveCrdsDir('/repo', toolchain, { ARGOCD_CRDS_DIR: 'my/crds' })).toBe('/repo/my/crds');
  });

  it('installs once, then reports up to date until a CRD changes', async () => {
    const root = join(tmp, 'argo-root');
    const env = { ARGOCD_CRDS_DIR: join(tmp, 'argo-crds') };
    writeCrds(env.ARGOCD_CRDS_DIR);

    expect(await ensureArgoCdSchemas(root, toolchain, env)).toMatch(/installed \(application-argoproj-v1alpha1\.json, appproject-argoproj-v1alpha1\.json, applicationset-argoproj-v1alpha1\.json\)/);
    expect(await ensureArgoCdSchemas(root, toolchain, env)).toMatch(/up to date$/);

    writeFileSync(join(env.ARGOCD_CRDS_DIR, 'appproject-crd.yaml'), minimalCrd('AppProject').replace('type: object}}}', 'type: object}, status: {type: object}}}'));
    expect(await ensureArgoCdSchemas(root, toolchain, env)).toMatch(/installed/);
    const project = JSON.parse(readFileSync(join(root, `.tools/schemas/argo-cd/${toolchain.argoCd.version}/appproject-argoproj-v1alpha1.json`), 'utf8'));
    expect(Object.keys(project.properties)).toEqual(['spec', 'status']);
  });

  it('says what to set and where to get the CRDs when the folder is missing', async () => {
    const env = { ARGOCD_CRDS_DIR: join(tmp, 'no-such-folder') };

    await expect(ensureArgoCdSchemas(join(tmp, 'empty-root'), toolchain, env)).rejects.toThrow(SetupError);
    await expect(ensureArgoCdSchemas(join(tmp, 'empty-root'), toolchain, env)).rejects.toThrow(/Set ARGOCD_CRDS_DIR .*manifests\/crds\/ folder of the Argo CD v\d/);
  });
});

describe('setup.mjs as a command', () => {
  it('exits 1 with the actionable message and no stack trace', () => {
    // A throw-away repository whose npm install and kubeconform are already in place.
    const root = join(tmp, 'cli-repo');
    mkdirSync(join(root, 'tools/setup'), { recursive: true });
    mkdirSync(join(root, 'node_modules'));
    mkdirSync(join(root, '.tools/bin'), { recursive: true });
    for (const file of ['tools/setup/setup.mjs', 'tools/setup/crd-to-json-schema.mjs', 'tools/toolchain.json', 'package-lock.json']) {
      copyFileSync(join(repoRoot, file), join(root, file));
    }
    const lockHash = createHash('sha256').update(readFileSync(join(root, 'package-lock.json'), 'utf8')).digest('hex');
    writeFileSync(join(root, 'node_modules/.setup-package-lock.sha256'), `${lockHash}\n`);
    writeFileSync(join(root, '.tools/bin/kubeconform'), 'stand-in: setup only checks that it exists\n');
    writeFileSync(join(root, '.tools/bin/kubeconform.version'), `${toolchain.kubeconform.version}\n`);

    const run = spawnSync(process.execPath, [join(root, 'tools/setup/setup.mjs')], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ARGOCD_CRDS_DIR: join(tmp, 'nowhere') },
    });

    expect(run.stdout).toContain('setup: node_modules up to date');
    expect(run.stdout).toContain(`setup: kubeconform ${toolchain.kubeconform.version} up to date`);
    expect(run.stderr).toMatch(/^setup: error: the Argo CD v[\d.]+ CRDs were not found/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.status).toBe(1);
  });
});
