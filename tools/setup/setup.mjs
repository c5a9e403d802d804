#!/usr/bin/env node
// Installs what the pipeline needs outside npm under .tools/: the kubeconform, helm and kustomize binaries,
// OFFLINE schemas (Kubernetes, Argo CD, External Secrets Operator) and the flyte chart of each cluster.
// Plain Node with zero npm dependencies, because it runs on a fresh clone before `npm ci`. Runs as the pre-hook of
// render/validate/test, so every step keeps a stamp of what it installed and an up-to-date run costs well under
// a second.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const defaultRepoRoot = resolve(here, '../..');
const ARGO_CD_CRD_FILES = ['application-crd.yaml', 'appproject-crd.yaml', 'applicationset-crd.yaml'];

/** An expected failure: main() prints its message (no stack trace) and exits 1. */
export class SetupError extends Error {}

const sha256 = (...buffers) =>
  buffers.reduce((hash, buffer) => hash.update(buffer), createHash('sha256')).digest('hex');
const readText = (file) => (existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined);
const display = (root, path) => relative(root, path) || '.';

function run(command, args, options) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) throw new SetupError(`could not run ${command}: ${result.error.message}`);
  if (result.status !== 0)
    throw new SetupError(`\`${command} ${args.join(' ')}\` failed (exit code ${result.status}); see its output above`);
  return result;
}

/** Installs into `target` atomically: a killed run never leaves a half-filled folder that its stamp would vouch for. */
function installFolder(target, fill) {
  mkdirSync(dirname(target), { recursive: true });
  const staging = mkdtempSync(`${target}.staging-`);
  try {
    fill(staging);
    chmodSync(staging, 0o755); // mkdtemp makes it private
    rmSync(target, { recursive: true, force: true });
    try {
      renameSync(staging, target);
    } catch (error) {
      if (!existsSync(target)) throw error; // else a concurrent setup (parallel pre-hooks) installed it first
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

export function readToolchain(root = defaultRepoRoot) {
  return JSON.parse(readFileSync(join(root, 'tools/toolchain.json'), 'utf8'));
}

// a. npm dependencies. The stamp is the hash of package-lock.json, so switching branches back and
// forth does not reinstall; without a stamp, npm's own node_modules/.package-lock.json being newer
// than package-lock.json means an install already matches it (someone ran npm install or npm ci).
export function ensureNodeModules(root = defaultRepoRoot) {
  const lockFile = join(root, 'package-lock.json');
  if (!existsSync(lockFile))
    throw new SetupError(
      'package-lock.json is missing: `npm ci` needs it (run `npm install` once and commit the lockfile)',
    );
  const stampFile = join(root, 'node_modules/.setup-package-lock.sha256');
  const lockHash = sha256(readFileSync(lockFile));
  if (readText(stampFile) === lockHash) return 'node_modules up to date';
  const npmStamp = join(root, 'node_modules/.package-lock.json');
  const installedAfterLock = existsSync(npmStamp) && statSync(npmStamp).mtimeMs >= statSync(lockFile).mtimeMs;
  const status = installedAfterLock ? 'node_modules up to date' : 'node_modules installed (npm ci)';
  if (!installedAfterLock)
    run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, shell: process.platform === 'win32' });
  writeFileSync(stampFile, `${lockHash}\n`);
  return status;
}

function findGo() {
  // CI shells do not always have Go's default install folder on PATH.
  for (const candidate of ['go', '/usr/local/go/bin/go']) {
    if (!spawnSync(candidate, ['version'], { stdio: 'ignore' }).error) return candidate;
  }
  throw new SetupError(
    "Go is required to install kubeconform, helm and kustomize and to download Argo CD's CRDs, " +
      'and `go` was not found on PATH.\n' +
      '  Install Go 1.22 or newer (https://go.dev/doc/install, or `apt-get install golang-go`), ' +
      'then run `npm run setup` again.',
  );
}

// b. kubeconform, helm and kustomize, built from source by `go install` (they ship no npm package) into
// .tools/bin, each with a stamp of its version beside it.
export function ensureGoTool(root = defaultRepoRoot, { module, version }) {
  const name = goBinaryName(module);
  const binDir = join(root, '.tools/bin');
  const stampFile = join(binDir, `${name}.version`);
  if (existsSync(join(binDir, name)) && readText(stampFile) === version) return `${name} ${version} up to date`;
  const go = findGo();
  mkdirSync(binDir, { recursive: true });
  // go install refuses to overwrite a file it does not recognise as a binary (a damaged one, say).
  rmSync(join(binDir, name), { force: true });
  run(go, ['install', `${module}@${version}`], { cwd: root, env: { ...process.env, GOBIN: binDir } });
  writeFileSync(stampFile, `${version}\n`);
  return `${name} ${version} installed`;
}

/** What `go install` names a module's binary: its last path element, a major-version suffix (`/v5`) skipped. */
export function goBinaryName(module) {
  const elements = module.split('/');
  const last = elements.at(-1);
  return /^v\d+$/.test(last) && elements.length > 1 ? elements.at(-2) : last;
}

/** Every cluster file with its text, sorted by name. */
function clusterFiles(root, clustersDir) {
  const dir = resolve(root, clustersDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => ({ file: display(root, join(dir, name)), text: readFileSync(join(dir, name), 'utf8') }));
}

/**
 * The `kubernetesVersion:` of every cluster file, e.g. [{ file: 'platform/clusters/gkp-dev.yaml', version: '1.21.0' }].
 */
export function clusterKubernetesVersions(root = defaultRepoRoot, clustersDir = 'platform/clusters') {
  return clusterFiles(root, clustersDir).map(({ file, text }) => {
    // A tiny regex instead of a YAML parser: setup has no dependencies. Top-level key only.
    const match = /^kubernetesVersion:[ \t]*(["']?)v?(\d+\.\d+\.\d+)\1[ \t]*(?:#.*)?$/m.exec(text);
    if (!match)
      throw new SetupError(
        `${file} has no top-level \`kubernetesVersion: X.Y.Z\` (e.g. \`kubernetesVersion: 1.21.0\`)`,
      );
    return { file, version: match[2] };
  });
}

/** The pinned kubernetes-validate release whose package ships the schemas of this Kubernetes version. */
export function kubernetesValidatePin(toolchain, kubernetesVersion) {
  const minor = kubernetesVersion.split('.').slice(0, 2).join('.');
  const pin = toolchain.kubernetesValidate?.[minor];
  if (!pin) {
    const known = Object.keys(toolchain.kubernetesValidate ?? {}).join(', ') || 'none';
    throw new SetupError(
      `no Kubernetes schemas are pinned for Kubernetes ${minor} (version ${kubernetesVersion}).\n` +
        `  Add "${minor}": "<release>" under "kubernetesValidate" in tools/toolchain.json, naming a PyPI release of ` +
        'kubernetes-validate that ships ' +
        `kubernetes_validate/kubernetes-json-schema/v${minor}.0-local-strict/ (pinned now: ${known}).`,
    );
  }
  return pin;
}

// Copies one schema folder out of the sdist (.tar.gz) or wheel (.whl). Python is there anyway for pip.
// Newer releases (e.g. 1.37.0) give every file an https://kubernetes.io/api/... $id and refer to
// "/api/_definitions.json#...": resolved against that $id, kubeconform would go to the network,
// fail, and report "could not find schema". Dropping $id and making the refs relative keeps them
// next to the file, as the older releases ship them.
const EXTRACT_PY = `
import json, os, sys, tarfile, zipfile
archive, folder, dest = sys.argv[1:]
marker = "/kubernetes-json-schema/" + folder + "/"
def local_refs(node):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("/api/_definitions.json#"):
            node["$ref"] = ref[len("/api/"):]
        for value in node.values():
            local_refs(value)
    elif isinstance(node, list):
        for value in node:
            local_refs(value)
if archive.endswith(".whl"):
    z = zipfile.ZipFile(archive)
    entries = ((n, lambda n=n: z.read(n)) for n in z.namelist())
else:
    t = tarfile.open(archive)
    entries = ((m.name, lambda m=m: t.extractfile(m).read()) for m in t if m.isfile())
count = 0
for name, read in entries:
    i = name.find(marker)
    rel = name[i + len(marker):] if i >= 0 else ""
    if not rel or "/" in rel or rel.startswith("."):
        continue
    data = read()
    if rel.endswith(".json") and (b'"$id"' in data or b'"/api/_definitions.json#' in data):
        schema = json.loads(data)
        schema.pop("$id", None)
        local_refs(schema)
        data = json.dumps(schema, indent=1).encode()
    with open(os.path.join(dest, rel), "wb") as f:
        f.write(data)
    count += 1
print(count)
`;

// c. Kubernetes JSON schemas from the PyPI package kubernetes-validate. The package ships X.Y.0
// only; the folder is installed under the cluster's full version, which is what kubeconform's
// {{ .NormalizedKubernetesVersion }} expands to (patch releases share the API).
export function ensureKubernetesSchemas(
  root = defaultRepoRoot,
  toolchain = readToolchain(root),
  clustersDir = 'platform/clusters',
) {
  const versions = [...new Set(clusterKubernetesVersions(root, clustersDir).map((cluster) => cluster.version))];
  if (versions.length === 0)
    return [`Kubernetes schemas: no ${clustersDir}/*.yaml names a kubernetesVersion, nothing to install`];
  const downloads = new Map(); // pin -> archive, so several versions from one package download once
  const tmp = mkdtempSync(join(tmpdir(), 'flyte-gkp-setup-'));
  try {
    return versions.map((version) => {
      const pin = kubernetesValidatePin(toolchain, version);
      const stamp = `kubernetes-validate==${pin} local-refs`; // change the suffix when the extraction changes
      if (readText(join(root, kubernetesSchemaFolder(version), '.stamp')) === stamp)
        return `Kubernetes ${version} schemas up to date`;
      if (!downloads.has(pin)) downloads.set(pin, downloadKubernetesValidate(pin, join(tmp, pin)));
      installKubernetesSchemas(root, version, downloads.get(pin), stamp);
      return `Kubernetes ${version} schemas installed (kubernetes-validate ${pin})`;
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const kubernetesSchemaFolder = (version) => `.tools/schemas/kubernetes/v${version}-local-strict`;

/** Installs the schemas of one Kubernetes version from a kubernetes-validate sdist or wheel. */
export function installKubernetesSchemas(root, version, archive, stamp) {
  const sourceFolder = `v${version.split('.').slice(0, 2).join('.')}.0-local-strict`;
  installFolder(join(root, kubernetesSchemaFolder(version)), (staging) => {
    const count = Number(
      run('python3', ['-c', EXTRACT_PY, archive, sourceFolder, staging], {
        stdio: ['ignore', 'pipe', 'inherit'],
        encoding: 'utf8',
      }).stdout,
    );
    if (!existsSync(join(staging, '_definitions.json'))) {
      throw new SetupError(
        `${basename(archive)} has no ${sourceFolder}/ schemas (found ${count} files): ` +
          `fix the pin of Kubernetes ${version} in tools/toolchain.json`,
      );
    }
    writeFileSync(join(staging, '.stamp'), `${stamp}\n`);
  });
}

function downloadKubernetesValidate(pin, dir) {
  const python = spawnSync('python3', ['-m', 'pip', '--version'], { stdio: 'ignore' });
  if (python.error || python.status !== 0) {
    throw new SetupError(
      'python3 with pip is required to download the Kubernetes schemas (PyPI package kubernetes-validate); ' +
        'install Python 3 and pip, then run `npm run setup` again.',
    );
  }
  run('python3', [
    '-m',
    'pip',
    'download',
    '--quiet',
    '--disable-pip-version-check',
    '--no-deps',
    `kubernetes-validate==${pin}`,
    '-d',
    dir,
  ]);
  const [archive] = readdirSync(dir);
  if (!archive) throw new SetupError(`pip downloaded nothing for kubernetes-validate==${pin}`);
  return join(dir, archive);
}

export const flyteidlFolder = '.tools/python/flyteidl';

// d. flyteidl's Python messages for the contract tests of the project registration (libs/render): the
// PyPI wheels of tools/toolchain.json's flyteidl.packages, installed without their other dependencies
// (project_pb2 needs protobuf alone) into a folder of their own, on nobody's PYTHONPATH but the tests'.
export function ensureFlyteidl(root = defaultRepoRoot, toolchain = readToolchain(root)) {
  const packages = toolchain.flyteidl?.packages;
  if (!Array.isArray(packages) || packages.length === 0)
    throw new SetupError('tools/toolchain.json has no "flyteidl": {"packages": [...]}: restore it from git');
  const stamp = packages.join(' ');
  const target = join(root, flyteidlFolder);
  if (readText(join(target, '.stamp')) === stamp) return `flyteidl up to date (${stamp})`;
  installFolder(target, (staging) => {
    // pip warns about running as root (as CI and containers do) though --target touches no system folder;
    // PIP_ROOT_USER_ACTION silences it, and a pip too old to know the setting ignores it.
    run(
      'python3',
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--no-deps',
        '--only-binary=:all:',
        '--no-compile',
        '--target',
        staging,
        ...packages,
      ],
      { env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } },
    );
    writeFileSync(join(staging, '.stamp'), `${stamp}\n`);
  });
  return `flyteidl installed into ${flyteidlFolder} (${stamp})`;
}

/** Argo CD's Go module for a release: from v2 on, the major version is part of its path (…/argo-cd/v3 for v3.x). */
export function argoCdModule(version) {
  const major = Number(/^v(\d+)\.\d+\.\d+/.exec(version)?.[1]);
  if (Number.isNaN(major))
    throw new SetupError(
      `"argoCd.version" in tools/toolchain.json is ${JSON.stringify(version)}, not an Argo CD release such as v2.14.11`,
    );
  return major >= 2 ? `github.com/argoproj/argo-cd/v${major}` : 'github.com/argoproj/argo-cd';
}

/**
 * The folder of a Go module at a version. Go downloads the module once into its own module cache
 * (shared with `go install`, so a second clone downloads nothing) and verifies it against the checksum
 * database; later calls only read the cache. `hint` says what to check when the download fails.
 */
export function goModuleDir(module, version, what, hint, env = process.env) {
  const go = findGo();
  // Outside any go.mod: downloading a module by version must never edit one.
  const cwd = mkdtempSync(join(tmpdir(), 'flyte-gkp-go-'));
  try {
    const result = spawnSync(go, ['mod', 'download', '-json', `${module}@${version}`], {
      cwd,
      env: { ...env, GOWORK: 'off' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (result.error) throw new SetupError(`could not run ${go}: ${result.error.message}`);
    let info = {};
    try {
      info = JSON.parse(result.stdout);
    } catch {
      // no JSON: Go's own message went to stderr, above
    }
    if (result.status !== 0 || !info.Dir) {
      throw new SetupError(
        `could not download ${what}, \`go mod download ${module}@${version}\` failed: ` +
          `${info.Error ?? `exit code ${result.status}`} ` +
          `(is the Go module proxy reachable? GOPROXY=${env.GOPROXY ?? "Go's default"}).\n  ${hint}.`,
      );
    }
    return info.Dir;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** The manifests/crds/ folder of Argo CD's Go module at this release. */
export function argoCdCrdsFromGoModule(version, env = process.env) {
  const hint =
    `Check "argoCd.version" in tools/toolchain.json,\n` +
    `  or set ARGOCD_CRDS_DIR to a folder holding ${ARGO_CD_CRD_FILES.join(', ')} ` +
    `(manifests/crds/ of the Argo CD ${version} release)`;
  return join(goModuleDir(argoCdModule(version), version, `Argo CD ${version}'s CRDs`, hint, env), 'manifests/crds');
}

/** Converts CRD files into kubeconform's schemas in `target`, atomically, with the stamp; returns the files written. */
async function installConvertedCrds(target, crdFiles, stamp, what) {
  const { convertCrdFiles } = await import(pathToFileURL(join(here, 'crd-to-json-schema.mjs')).href);
  let written = [];
  installFolder(target, (staging) => {
    try {
      written = convertCrdFiles(crdFiles, staging);
    } catch (error) {
      throw new SetupError(`could not convert ${what}: ${error.message}`);
    }
    writeFileSync(join(staging, '.stamp'), `${stamp}\n`);
  });
  return written;
}

// d. Argo CD schemas, converted from its CRDs (kubeconform does not read CRDs): from ARGOCD_CRDS_DIR
// when set, else from Argo CD's Go module at argoCd.version.
export async function ensureArgoCdSchemas(root = defaultRepoRoot, toolchain = readToolchain(root), env = process.env) {
  const { version } = toolchain.argoCd;
  const target = join(root, `.tools/schemas/argo-cd/${version}`);
  const converter = join(here, 'crd-to-json-schema.mjs');
  const converterHash = sha256(readFileSync(converter));
  const installed = readText(join(target, '.stamp'))?.split(' ');
  const crdsOverride = env.ARGOCD_CRDS_DIR && resolve(root, env.ARGOCD_CRDS_DIR);
  const goModule = `go:${argoCdModule(version)}@${version}`;
  // A module version's content never changes (Go verifies it), so schemas converted from it by the same
  // converter are current without asking Go.
  if (!crdsOverride && installed?.[0] === version && installed[1] === converterHash && installed[3] === goModule) {
    return `Argo CD ${version} schemas up to date`;
  }
  const crdsDir = crdsOverride ?? argoCdCrdsFromGoModule(version, env);
  const crdFiles = ARGO_CD_CRD_FILES.map((name) => join(crdsDir, name));
  const missing = crdFiles.filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new SetupError(
      `the Argo CD ${version} CRDs were not found in ${crdsDir} ` +
        `(${crdsOverride ? 'ARGOCD_CRDS_DIR' : goModule.slice(3)}); ` +
        `missing: ${missing.map((file) => basename(file)).join(', ')}.\n` +
        `  Set ARGOCD_CRDS_DIR to a folder holding ${ARGO_CD_CRD_FILES.join(', ')} ` +
        `(the manifests/crds/ folder of the Argo CD ${version} release),\n` +
        `  or unset it to take them from Argo CD's Go module.`,
    );
  }
  // With ARGOCD_CRDS_DIR the stamp's content hash tells a changed folder from the one converted before.
  const stamp = [
    version,
    converterHash,
    sha256(...crdFiles.map((file) => readFileSync(file))),
    crdsOverride ? 'ARGOCD_CRDS_DIR' : goModule,
  ].join(' ');
  if (installed?.join(' ') === stamp) return `Argo CD ${version} schemas up to date`;
  const written = await installConvertedCrds(target, crdFiles, stamp, `the Argo CD CRDs in ${crdsDir}`);
  return (
    `Argo CD ${version} schemas installed ` +
    `from ${crdsOverride ? `ARGOCD_CRDS_DIR (${crdsDir})` : `the Go module ${goModule.slice(3)}`} ` +
    `(${written.join(', ')})`
  );
}

// e. External Secrets Operator schemas, converted from the CRDs of its Go module (`crds`, e.g.
// config/crds/bases/) at externalSecrets.version: the SecretStore and ExternalSecret of every project
// namespace are checked with -strict against the very schemas the operator installs.
export async function ensureExternalSecretsSchemas(
  root = defaultRepoRoot,
  toolchain = readToolchain(root),
  env = process.env,
) {
  const { module, version, crds } = toolchain.externalSecrets;
  const target = join(root, `.tools/schemas/external-secrets/${version}`);
  const converter = join(here, 'crd-to-json-schema.mjs');
  // A module version's content never changes (Go verifies it): the same converter makes the same schemas.
  const stamp = [version, sha256(readFileSync(converter)), `go:${module}@${version}/${crds}`].join(' ');
  if (readText(join(target, '.stamp')) === stamp) return `External Secrets Operator ${version} schemas up to date`;
  const hint = `Check "externalSecrets" in tools/toolchain.json`;
  const crdsDir = join(goModuleDir(module, version, `External Secrets Operator ${version}'s CRDs`, hint, env), crds);
  const crdFiles = existsSync(crdsDir)
    ? readdirSync(crdsDir)
        .filter((name) => name.endsWith('.yaml'))
        .sort()
        .map((name) => join(crdsDir, name))
    : [];
  if (crdFiles.length === 0)
    throw new SetupError(`${crdsDir} holds no CRD file: fix "externalSecrets.crds" in tools/toolchain.json`);
  const what = `the External Secrets Operator CRDs in ${crdsDir}`;
  const written = await installConvertedCrds(target, crdFiles, stamp, what);
  const from = `the Go module ${module}@${version}`;
  return `External Secrets Operator ${version} schemas installed from ${from} (${written.length} schemas)`;
}

// f. The flyte chart of each cluster (flyte.chartVersion), as a folder helm renders offline.
const CHART_VERSION = /^v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/;

/** Where setup installs the flyte chart of a version: the chart's own folder, Chart.yaml directly inside it. */
export const flyteChartDir = (root, version) => join(root, '.tools/charts', `flyte-${version}`);
/**
 * What the chart folder was installed from (JSON), beside the folder so that the chart's files stay the package's own.
 */
export const flyteChartStamp = (root, version) => `${flyteChartDir(root, version)}.stamp`;

/** The value of `key:` directly under the top-level `parent:` of a YAML file, without a YAML parser. */
function childScalar(text, parent, key) {
  const block =
    new RegExp(`^${parent}:[ \\t]*(?:#.*)?\\n((?:(?:[ \\t]+.*|[ \\t]*(?:#.*)?)(?:\\n|$))*)`, 'm').exec(text)?.[1] ?? '';
  const indent = /^([ \t]+)[^\s#]/m.exec(block)?.[1];
  if (!indent) return undefined;
  return new RegExp(`^${indent}${key}:[ \\t]*(["']?)([^\\s"'#]*)\\1[ \\t]*(?:#.*)?$`, 'm').exec(block)?.[2];
}

/**
 * The `flyte:` → `chartVersion:` of every cluster file,
 * e.g. [{ file: 'platform/clusters/gkp-dev.yaml', version: 'v0.15.0' }].
 */
export function clusterChartVersions(root = defaultRepoRoot, clustersDir = 'platform/clusters') {
  return clusterFiles(root, clustersDir).map(({ file, text }) => {
    const version = childScalar(text, 'flyte', 'chartVersion');
    if (!version)
      throw new SetupError(
        `${file} has no \`chartVersion:\` under its top-level \`flyte:\` (e.g. \`chartVersion: v0.15.0\`)`,
      );
    // It becomes part of a path under .tools/: nothing but a version.
    if (!CHART_VERSION.test(version))
      throw new SetupError(
        `${file}: flyte.chartVersion ${JSON.stringify(version)} is not a chart version such as v0.15.0`,
      );
    return { file, version };
  });
}

/** The pinned package of a flyte chart version: { url, sha256 }. */
export function flyteChartPin(toolchain, version, file = 'a cluster file') {
  const pin = Object.hasOwn(toolchain.flyteChart ?? {}, version) ? toolchain.flyteChart[version] : undefined;
  if (!pin?.url || !/^[0-9a-f]{64}$/.test(pin.sha256 ?? '')) {
    const known = Object.keys(toolchain.flyteChart ?? {}).join(', ') || 'none';
    throw new SetupError(
      `${file} names the flyte chart ${version}, and no package is pinned for it (pinned now: ${known}).\n` +
        `  Add "${version}": { "url": "<URL of flyte-${version}.tgz>", ` +
        '"sha256": "<its sha256>" } under "flyteChart" in tools/toolchain.json.',
    );
  }
  return pin;
}

const withVersion = (value, version) => value.replaceAll('{version}', version);

/** A digest of a folder's files and their paths, to notice when the folder given by FLYTE_CHART changed. */
function folderDigest(dir) {
  const hash = createHash('sha256');
  const files = readdirSync(dir, { recursive: true }).map(String).sort();
  for (const file of files) {
    const path = join(dir, file);
    if (statSync(path).isFile()) hash.update(`${file}\0`).update(readFileSync(path)).update('\0');
  }
  return hash.digest('hex');
}

// Extracts a chart package (.tgz) into a folder, with the single top folder every `helm package` writes
// (flyte/) flattened. Only regular files and folders inside the destination: no links, no "..".
const EXTRACT_CHART_PY = `
import os, posixpath, sys, tarfile
archive, dest = sys.argv[1:]
try:
    t = tarfile.open(archive, "r:*")
    members = t.getmembers()
except (tarfile.TarError, OSError, EOFError) as e:
    sys.exit("not a readable .tgz (%s)" % e)
entries = []
for m in members:
    name = posixpath.normpath(m.name)
    if name == ".":
        continue
    if name.startswith("/") or name == ".." or name.startswith("../"):
        sys.exit("holds %s, outside the chart folder" % m.name)
    if not (m.isfile() or m.isdir()):
        sys.exit("holds %s, which is neither a file nor a folder" % m.name)
    entries.append((name, m))
tops = {name.split("/")[0] for name, m in entries}
flatten = len(tops) == 1 and all("/" in name or m.isdir() for name, m in entries)
for name, m in entries:
    if not m.isfile():
        continue
    rel = name.split("/", 1)[1] if flatten else name
    path = os.path.join(dest, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(t.extractfile(m).read())
    os.chmod(path, 0o755 if m.mode & 0o111 else 0o644)
`;

function extractChart(archive, staging, source) {
  const result = spawnSync('python3', ['-c', EXTRACT_CHART_PY, archive, staging], {
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (result.error)
    throw new SetupError(`python3 is required to extract the flyte chart package: ${result.error.message}`);
  if (result.status !== 0)
    throw new SetupError(`the chart package ${source} ${result.stderr.trim().split('\n').pop()}: refusing it`);
}

async function downloadChart(url, version, pin) {
  const hint =
    `  Set FLYTE_CHART_URL to a mirror of that package (flyte-${version}.tgz, sha256 ${pin.sha256}),\n` +
    `  or FLYTE_CHART to a copy of it (.tgz) or to the chart's folder.`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(300_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    return Buffer.from(await response.arrayBuffer());
  } catch (error) {
    throw new SetupError(
      `could not download the flyte chart ${version} from ${url}: ${error.cause?.message ?? error.message}.\n${hint}`,
    );
  }
}

function checkPackageDigest(bytes, source, version, pin, fix) {
  const digest = sha256(bytes);
  if (digest !== pin.sha256) {
    throw new SetupError(
      `the flyte chart package ${source} has sha256 ${digest}, not the one pinned for ${version} ` +
        `("flyteChart" → "${version}" → "sha256" in tools/toolchain.json: ${pin.sha256}); refusing it.\n  ${fix}`,
    );
  }
}

/**
 * The chart of one version: kept while its stamp matches, else installed from FLYTE_CHART or the (mirrored) pinned URL.
 */
async function ensureFlyteChart(root, version, pin, env) {
  const target = flyteChartDir(root, version);
  const stampFile = flyteChartStamp(root, version);
  let installed;
  try {
    installed = existsSync(join(target, 'Chart.yaml')) ? JSON.parse(readFileSync(stampFile, 'utf8')) : undefined;
  } catch {
    // no stamp or a damaged one: install again
  }
  const given = env.FLYTE_CHART && resolve(root, withVersion(env.FLYTE_CHART, version));
  const from = (stamp) =>
    stamp.folderSha256
      ? `the folder ${stamp.source}, taken as given: a folder cannot be checked against the package's sha256`
      : `${stamp.source}, sha256 verified`;

  let stamp;
  let fill;
  if (!given) {
    // Whatever was installed for this pin stays: no download on every run, none at all with FLYTE_CHART set once.
    if (installed?.pin === pin.sha256) return `flyte chart ${version} up to date (from ${from(installed)})`;
    const url = env.FLYTE_CHART_URL ? withVersion(env.FLYTE_CHART_URL, version) : pin.url;
    const bytes = await downloadChart(url, version, pin);
    checkPackageDigest(
      bytes,
      `downloaded from ${url}`,
      version,
      pin,
      'Point FLYTE_CHART_URL at a mirror of the exact package, or FLYTE_CHART at a copy of it.',
    );
    stamp = { pin: pin.sha256, source: url, sha256: pin.sha256 };
    fill = (staging) => {
      const archive = join(staging, `.flyte-${version}.tgz`);
      writeFileSync(archive, bytes);
      extractChart(archive, staging, `downloaded from ${url}`);
      rmSync(archive);
    };
  } else if (!existsSync(given)) {
    throw new SetupError(
      `FLYTE_CHART names ${given}, which does not exist: ` +
        `point it at the flyte chart ${version}, a chart folder or its .tgz package.`,
    );
  } else if (statSync(given).isDirectory()) {
    if (!existsSync(join(given, 'Chart.yaml')))
      throw new SetupError(
        `FLYTE_CHART names the folder ${given}, which holds no Chart.yaml: ` +
          "point it at the flyte chart's own folder, or at its .tgz package.",
      );
    stamp = { pin: pin.sha256, source: given, folderSha256: folderDigest(given) };
    if (installed?.pin === stamp.pin && installed.folderSha256 === stamp.folderSha256)
      return `flyte chart ${version} up to date (from ${from(installed)})`;
    fill = (staging) => cpSync(given, staging, { recursive: true, dereference: true });
  } else {
    const bytes = readFileSync(given);
    checkPackageDigest(
      bytes,
      `${given} (FLYTE_CHART)`,
      version,
      pin,
      'Point FLYTE_CHART at the exact package or at a chart folder, or unset it to download the pinned package.',
    );
    if (installed?.pin === pin.sha256 && installed.sha256 === pin.sha256)
      return `flyte chart ${version} up to date (from ${from(installed)})`;
    stamp = { pin: pin.sha256, source: given, sha256: pin.sha256 };
    fill = (staging) => extractChart(given, staging, `${given} (FLYTE_CHART)`);
  }

  // The stamp goes first and comes back last: an interrupted install is never taken for a complete one.
  rmSync(stampFile, { force: true });
  installFolder(target, (staging) => {
    fill(staging);
    if (!existsSync(join(staging, 'Chart.yaml')))
      throw new SetupError(
        `the flyte chart ${version} from ${stamp.source} has no Chart.yaml at its top: it is not a chart`,
      );
  });
  writeFileSync(stampFile, `${JSON.stringify(stamp)}\n`);
  return `flyte chart ${version} installed into ${display(root, target)} from ${from(stamp)}`;
}

export async function ensureFlyteCharts(
  root = defaultRepoRoot,
  toolchain = readToolchain(root),
  env = process.env,
  clustersDir = 'platform/clusters',
) {
  const clusters = clusterChartVersions(root, clustersDir);
  const versions = [...new Map(clusters.map(({ file, version }) => [version, file]))];
  if (versions.length === 0) return [`flyte chart: no ${clustersDir}/*.yaml names a chart version, nothing to install`];
  for (const name of ['FLYTE_CHART', 'FLYTE_CHART_URL']) {
    if (versions.length > 1 && env[name] && !env[name].includes('{version}')) {
      throw new SetupError(
        `${name} names one chart, and the clusters use several versions ` +
          `(${versions.map(([v]) => v).join(', ')}): write {version} in it where the version goes`,
      );
    }
  }
  const results = [];
  for (const [version, file] of versions)
    results.push(await ensureFlyteChart(root, version, flyteChartPin(toolchain, version, file), env));
  return results;
}

/**
 * What render, validate and plan need, and with `forTests` (npm test's pre-hook: `--tests`) what only the
 * tests use as well: a first `npm run render` on a new machine downloads nothing it does not run.
 */
export async function main(root = defaultRepoRoot, { forTests = false } = {}) {
  // Chatter, not output: `npm run plan -- --format markdown > plan.md` runs this first, and keeps only the plan.
  const log = (line) => console.error(`setup: ${line}`);
  try {
    log(ensureNodeModules(root));
    const toolchain = readToolchain(root);
    log(ensureGoTool(root, toolchain.kubeconform));
    log(ensureGoTool(root, toolchain.helm));
    // kustomize builds the platform folder as Argo CD does: the chart, then its post-render.
    log(ensureGoTool(root, toolchain.kustomize));
    ensureKubernetesSchemas(root, toolchain).forEach(log);
    log(await ensureArgoCdSchemas(root, toolchain));
    log(await ensureExternalSecretsSchemas(root, toolchain));
    (await ensureFlyteCharts(root, toolchain)).forEach(log);
    if (forTests) {
      log(ensureGoTool(root, toolchain.cyclonus)); // evaluates the rendered NetworkPolicies in tests/isolation
      log(ensureFlyteidl(root, toolchain)); // the contract tests of the project registration parse with it
    }
    return 0;
  } catch (error) {
    if (!(error instanceof SetupError)) throw error; // a bug: keep the stack trace
    console.error(`setup: error: ${error.message}`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(defaultRepoRoot, { forTests: process.argv.includes('--tests') });
}
