#!/usr/bin/env node
// Installs what the pipeline needs outside npm: the kubeconform binary and OFFLINE schemas
// (Kubernetes, Argo CD) under .tools/. Plain Node with zero npm dependencies, because it runs on a
// fresh clone before `npm ci`. Runs as the pre-hook of render/validate/test, so every step keeps a
// stamp of what it installed and an up-to-date run costs well under a second.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const defaultRepoRoot = resolve(here, '../..');
const ARGO_CD_CRD_FILES = ['application-crd.yaml', 'appproject-crd.yaml', 'applicationset-crd.yaml'];

/** An expected failure: main() prints its message (no stack trace) and exits 1. */
export class SetupError extends Error {}

const sha256 = (...buffers) => buffers.reduce((hash, buffer) => hash.update(buffer), createHash('sha256')).digest('hex');
const readText = (file) => (existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined);
const display = (root, path) => relative(root, path) || '.';

function run(command, args, options) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) throw new SetupError(`could not run ${command}: ${result.error.message}`);
  if (result.status !== 0) throw new SetupError(`\`${command} ${args.join(' ')}\` failed (exit code ${result.status}); see its output above`);
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
  if (!existsSync(lockFile)) throw new SetupError('package-lock.json is missing: `npm ci` needs it (run `npm install` once and commit the lockfile)');
  const stampFile = join(root, 'node_modules/.setup-package-lock.sha256');
  const lockHash = sha256(readFileSync(lockFile));
  if (readText(stampFile) === lockHash) return 'node_modules up to date';
  const npmStamp = join(root, 'node_modules/.package-lock.json');
  const installedAfterLock = existsSync(npmStamp) && statSync(npmStamp).mtimeMs >= statSync(lockFile).mtimeMs;
  const status = installedAfterLock ? 'node_modules up to date' : 'node_modules installed (npm ci)';
  if (!installedAfterLock) run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, shell: process.platform === 'win32' });
  writeFileSync(stampFile, `${lockHash}\n`);
  return status;
}

function findGo() {
  // CI shells do not always have Go's default install folder on PATH.
  for (const candidate of ['go', '/usr/local/go/bin/go']) {
    if (!spawnSync(candidate, ['version'], { stdio: 'ignore' }).error) return candidate;
  }
  throw new SetupError(
    'Go is required to install kubeconform, and `go` was not found on PATH.\n' +
      '  Install Go 1.22 or newer (https://go.dev/doc/install, or `apt-get install golang-go`), then run `npm run setup` again.',
  );
}

// b. kubeconform, built from source by `go install` (it ships no npm package).
export function ensureKubeconform(root = defaultRepoRoot, toolchain = readToolchain(root)) {
  const { module, version } = toolchain.kubeconform;
  const binDir = join(root, '.tools/bin');
  const stampFile = join(binDir, 'kubeconform.version');
  if (existsSync(join(binDir, 'kubeconform')) && readText(stampFile) === version) return `kubeconform ${version} up to date`;
  const go = findGo();
  mkdirSync(binDir, { recursive: true });
  run(go, ['install', `${module}@${version}`], { cwd: root, env: { ...process.env, GOBIN: binDir } });
  writeFileSync(stampFile, `${version}\n`);
  return `kubeconform ${version} installed`;
}

/** The `kubernetesVersion:` of every cluster file, e.g. [{ file: 'platform/clusters/gkp-dev.yaml', version: '1.21.0' }]. */
export function clusterKubernetesVersions(root = defaultRepoRoot, clustersDir = 'platform/clusters') {
  const dir = resolve(root, clustersDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => {
      const file = join(dir, name);
      // A tiny regex instead of a YAML parser: setup has no dependencies. Top-level key only.
      const match = /^kubernetesVersion:[ \t]*(["']?)v?(\d+\.\d+\.\d+)\1[ \t]*(?:#.*)?$/m.exec(readFileSync(file, 'utf8'));
      if (!match) throw new SetupError(`${display(root, file)} has no top-level \`kubernetesVersion: X.Y.Z\` (e.g. \`kubernetesVersion: 1.21.0\`)`);
      return { file: display(root, file), version: match[2] };
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
        `kubernetes-validate that ships kubernetes_validate/kubernetes-json-schema/v${minor}.0-local-strict/ (pinned now: ${known}).`,
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
export function ensureKubernetesSchemas(root = defaultRepoRoot, toolchain = readToolchain(root), clustersDir = 'platform/clusters') {
  const versions = [...new Set(clusterKubernetesVersions(root, clustersDir).map((cluster) => cluster.version))];
  if (versions.length === 0) return [`Kubernetes schemas: no ${clustersDir}/*.yaml names a kubernetesVersion, nothing to install`];
  const downloads = new Map(); // pin -> archive, so several versions from one package download once
  const tmp = mkdtempSync(join(tmpdir(), 'flyte-gkp-setup-'));
  try {
    return versions.map((version) => {
      const pin = kubernetesValidatePin(toolchain, version);
      const stamp = `kubernetes-validate==${pin} local-refs`; // change the suffix when the extraction changes
      if (readText(join(root, kubernetesSchemaFolder(version), '.stamp')) === stamp) return `Kubernetes ${version} schemas up to date`;
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
    const count = Number(run('python3', ['-c', EXTRACT_PY, archive, sourceFolder, staging], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' }).stdout);
    if (!existsSync(join(staging, '_definitions.json'))) {
      throw new SetupError(`${basename(archive)} has no ${sourceFolder}/ schemas (found ${count} files): fix the pin of Kubernetes ${version} in tools/toolchain.json`);
    }
    writeFileSync(join(staging, '.stamp'), `${stamp}\n`);
  });
}

function downloadKubernetesValidate(pin, dir) {
  const python = spawnSync('python3', ['-m', 'pip', '--version'], { stdio: 'ignore' });
  if (python.error || python.status !== 0) {
    throw new SetupError('python3 with pip is required to download the Kubernetes schemas (PyPI package kubernetes-validate); install Python 3 and pip, then run `npm run setup` again.');
  }
  run('python3', ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--no-deps', `kubernetes-validate==${pin}`, '-d', dir]);
  const [archive] = readdirSync(dir);
  if (!archive) throw new SetupError(`pip downloaded nothing for kubernetes-validate==${pin}`);
  return join(dir, archive);
}

/** Where the Argo CD CRDs are read from: $ARGOCD_CRDS_DIR, else argoCd.crdsDir of tools/toolchain.json (relative to the repository root). */
export function resolveCrdsDir(root, toolchain, env = process.env) {
  return resolve(root, env.ARGOCD_CRDS_DIR || toolchain.argoCd.crdsDir);
}

// d. Argo CD schemas, converted from its CRDs (kubeconform does not read CRDs).
export async function ensureArgoCdSchemas(root = defaultRepoRoot, toolchain = readToolchain(root), env = process.env) {
  const { version } = toolchain.argoCd;
  const target = join(root, `.tools/schemas/argo-cd/${version}`);
  const converter = join(here, 'crd-to-json-schema.mjs');
  const crdsDir = resolveCrdsDir(root, toolchain, env);
  const crdFiles = ARGO_CD_CRD_FILES.map((name) => join(crdsDir, name));
  const installed = readText(join(target, '.stamp'))?.split(' ');
  const converterHash = sha256(readFileSync(converter));
  const missing = crdFiles.filter((file) => !existsSync(file));
  if (missing.length > 0) {
    // Schemas converted earlier by the same converter stay usable without the CRD folder.
    if (installed?.[0] === version && installed?.[1] === converterHash) return `Argo CD ${version} schemas up to date (CRD folder not found, kept the installed ones)`;
    throw new SetupError(
      `the Argo CD ${version} CRDs were not found in ${crdsDir} (${env.ARGOCD_CRDS_DIR ? 'ARGOCD_CRDS_DIR' : 'argoCd.crdsDir of tools/toolchain.json'}); ` +
        `missing: ${missing.map((file) => basename(file)).join(', ')}.\n` +
        `  Set ARGOCD_CRDS_DIR to a folder holding ${ARGO_CD_CRD_FILES.join(', ')} (the manifests/crds/ folder of the Argo CD ${version} release),\n` +
        `  or change "argoCd.crdsDir" in tools/toolchain.json (relative to the repository root).`,
    );
  }
  // The stamp covers the version, the converter and the CRDs' content: ARGOCD_CRDS_DIR may point anywhere.
  const stamp = [version, converterHash, sha256(...crdFiles.map((file) => readFileSync(file)))].join(' ');
  if (installed?.join(' ') === stamp) return `Argo CD ${version} schemas up to date`;
  const { convertCrdFiles } = await import(pathToFileURL(converter).href);
  let written = [];
  installFolder(target, (staging) => {
    try {
      written = convertCrdFiles(crdFiles, staging);
    } catch (error) {
      throw new SetupError(`could not convert the Argo CD CRDs in ${crdsDir}: ${error.message}`);
    }
    writeFileSync(join(staging, '.stamp'), `${stamp}\n`);
  });
  return `Argo CD ${version} schemas installed (${written.join(', ')})`;
}

export async function main(root = defaultRepoRoot) {
  const log = (line) => console.log(`setup: ${line}`);
  try {
    log(ensureNodeModules(root));
    const toolchain = readToolchain(root);
    log(ensureKubeconform(root, toolchain));
    ensureKubernetesSchemas(root, toolchain).forEach(log);
    log(await ensureArgoCdSchemas(root, toolchain));
    return 0;
  } catch (error) {
    if (!(error instanceof SetupError)) throw error; // a bug: keep the stack trace
    console.error(`setup: error: ${error.message}`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
