// Runs the real kubeconform binary (installed by tools/setup/setup.mjs) against offline schemas and
// returns one verdict per resource.
import { accessSync, constants, existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { shownPath, toolTimeoutMs, toolTimeoutVariable } from '@flyte-gkp/diagnostics';
import { execa } from 'execa';

export interface KubeconformSettings {
  /** e.g. "1.21.0" */
  kubernetesVersion: string;
  /** absolute kubeconform -schema-location values (folders or templates) */
  schemaLocations: string[];
  /** absolute path of the kubeconform binary */
  binary: string;
  /** where verdicts are cached (see verdict-cache.ts); none when undefined */
  cacheDir?: string;
  /** how long one run may take before it is killed (toolTimeoutMs); none when undefined */
  timeoutMs?: number;
}

export interface ResourceVerdict {
  /** path as given to kubeconform (relative to the cwd passed to runKubeconform) */
  file: string;
  kind: string;
  name: string;
  apiVersion: string;
  status: 'valid' | 'invalid' | 'error' | 'skipped';
  /** kubeconform's msg */
  message: string;
  /** JSON pointer (e.g. /spec/hard) and message of each validation error */
  errors: { path: string; message: string }[];
}

/** kubeconform or its schemas cannot be used: a setup problem, not a verdict on the manifests. */
export class KubeconformUnavailableError extends Error {
  override name = 'KubeconformUnavailableError';
}

const SETUP_HINT = 'run `npm run setup`';

/**
 * The binary and schema locations as tools/setup/setup.mjs installs them under <repoRoot>/.tools. The
 * External Secrets Operator's schemas are searched only on a cluster that runs it (its version given).
 */
export function toolchainSettings(
  repoRoot: string,
  kubernetesVersion: string,
  argoCdVersion: string,
  externalSecretsVersion?: string,
): KubeconformSettings {
  const tools = join(repoRoot, '.tools');
  return {
    // kubeconform prefixes the "v" itself ({{ .NormalizedKubernetesVersion }}).
    kubernetesVersion: kubernetesVersion.replace(/^v/, ''),
    schemaLocations: [
      join(
        tools,
        'schemas/kubernetes/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/' +
          '{{ .ResourceKind }}{{ .KindSuffix }}.json',
      ),
      join(tools, 'schemas/argo-cd', argoCdVersion, '{{ .ResourceKind }}{{ .KindSuffix }}.json'),
      ...(externalSecretsVersion
        ? [join(tools, 'schemas/external-secrets', externalSecretsVersion, '{{ .ResourceKind }}{{ .KindSuffix }}.json')]
        : []),
    ],
    binary: join(tools, 'bin/kubeconform'),
    cacheDir: join(tools, 'cache/kubeconform'),
    timeoutMs: toolTimeoutMs(),
  };
}

/** The flags that decide a verdict; the others only shape the output. */
export function verdictFlags(settings: KubeconformSettings): string[] {
  return [
    '-strict',
    '-kubernetes-version',
    settings.kubernetesVersion,
    ...settings.schemaLocations.flatMap((location) => ['-schema-location', location]),
  ];
}

// Half of Linux's ARG_MAX (2 MiB for arguments and environment together): one run for ~15,000
// rendered files. Each extra run loads and compiles the schemas again (~1 s of CPU at 1,000 projects).
const MAX_ARGUMENT_CHARS = 1_000_000;

export interface RunOptions {
  /**
   * Verdicts for the resources with a finding only (no -verbose). The gate needs nothing else, and the
   * valid verdicts of 1,000 projects are 8 MB of JSON to read.
   */
  findingsOnly?: boolean;
}

/**
 * kubeconform's workers: each compiles the schema of every kind it meets (~50 ms of CPU a kind here,
 * each a walk of the 1.1 MB definitions file), and a file takes ~2.5 ms to check. A second worker
 * pays for itself from a few hundred files on; the chart's 41 objects take half the CPU with one.
 */
export function workersFor(fileCount: number): number {
  return Math.max(1, Math.min(availableParallelism(), Math.ceil(fileCount / 500)));
}

/** Every argument but the files, as runKubeconform passes them for `fileCount` files. */
export function kubeconformFlags(
  settings: KubeconformSettings,
  options: RunOptions = {},
  fileCount = Infinity,
): string[] {
  return [
    ...verdictFlags(settings),
    '-output',
    'json',
    ...(options.findingsOnly ? [] : ['-verbose']), // -verbose lists valid resources too: a verdict for every resource
    '-summary',
    '-n',
    String(workersFor(fileCount)),
  ];
}

export async function runKubeconform(
  files: string[],
  cwd: string,
  settings: KubeconformSettings,
  runOptions: RunOptions = {},
): Promise<ResourceVerdict[]> {
  checkInstalled(settings);
  const verdicts: ResourceVerdict[] = [];
  // No files, no run: without file arguments kubeconform would read stdin.
  for (const chunk of argumentChunks(files)) {
    verdicts.push(...(await runChunk(chunk, cwd, kubeconformFlags(settings, runOptions, chunk.length), settings)));
  }
  // kubeconform validates in parallel goroutines: sort for a stable report.
  const key = (v: ResourceVerdict) => [v.file, v.apiVersion, v.kind, v.name].join('\0');
  return verdicts.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export function checkInstalled(settings: KubeconformSettings): void {
  try {
    accessSync(settings.binary, constants.X_OK);
  } catch {
    throw new KubeconformUnavailableError(`kubeconform not found at ${shownPath(settings.binary)}: ${SETUP_HINT}`);
  }
  // Without its schema folder every resource would read "could not find schema": say what is really wrong.
  for (const location of settings.schemaLocations) {
    const folder = schemaFolder(location, settings.kubernetesVersion);
    if (folder && !existsSync(folder)) {
      throw new KubeconformUnavailableError(
        `no schemas at ${shownPath(folder)} (Kubernetes ${settings.kubernetesVersion}): ${SETUP_HINT}; ` +
          'setup installs the Kubernetes versions named in platform/clusters/*.yaml',
      );
    }
  }
}

/** The folder part of a local schema location, with the version placeholders filled in. */
export function schemaFolder(location: string, kubernetesVersion: string): string | undefined {
  if (/^https?:\/\//.test(location)) return undefined;
  const expanded = location
    .replace(/\{\{\s*\.NormalizedKubernetesVersion\s*\}\}/g, `v${kubernetesVersion}`)
    .replace(/\{\{\s*\.StrictSuffix\s*\}\}/g, '-strict');
  const placeholder = expanded.indexOf('{{');
  return placeholder < 0 ? expanded : dirname(expanded.slice(0, placeholder) + 'x');
}

/** The files of each kubeconform run runKubeconform makes: as many as fit one command line. */
export function argumentChunks(files: string[]): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let length = 0;
  for (const file of files) {
    if (current.length > 0 && length + file.length + 1 > MAX_ARGUMENT_CHARS) {
      chunks.push(current);
      current = [];
      length = 0;
    }
    current.push(file);
    length += file.length + 1;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

interface KubeconformOutput {
  resources: {
    filename: string;
    kind: string;
    name: string;
    version: string;
    status: string;
    msg: string;
    validationErrors?: { path: string; msg: string }[];
  }[];
}

const STATUSES: Record<string, ResourceVerdict['status']> = {
  statusValid: 'valid',
  statusInvalid: 'invalid',
  statusError: 'error',
  statusSkipped: 'skipped',
};

async function runChunk(
  files: string[],
  cwd: string,
  options: string[],
  { binary, timeoutMs }: KubeconformSettings,
): Promise<ResourceVerdict[]> {
  const run = execa(binary, [...options, ...files], { cwd, reject: false, stdin: 'ignore' });
  let timedOut = false;
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          run.kill('SIGKILL');
          // A child of the binary may hold its output open: stop waiting for it.
          run.stdout?.destroy();
          run.stderr?.destroy();
        }, timeoutMs);
  const result = await run.finally(() => clearTimeout(timer));
  if (timedOut) {
    throw new KubeconformUnavailableError(
      `kubeconform at ${shownPath(binary)} did not finish within ${(timeoutMs ?? 0) / 1000} s ` +
        'and was stopped: a hanging binary, or a machine too busy; ' +
        `set ${toolTimeoutVariable} for more time, ${SETUP_HINT} if the binary is broken`,
    );
  }
  // Exit code 1 only means "something is invalid": the verdicts are on stdout.
  let output: KubeconformOutput | undefined;
  if (result.exitCode === 0 || result.exitCode === 1) {
    try {
      output = JSON.parse(result.stdout) as KubeconformOutput;
    } catch {
      output = undefined;
    }
  }
  if (!output || !Array.isArray(output.resources)) {
    const detail =
      String(result.stderr || result.stdout || '')
        .trim()
        .slice(0, 2000) || '(no output)';
    const what = result.failed ? result.shortMessage : 'its output is not JSON';
    throw new KubeconformUnavailableError(
      `kubeconform at ${shownPath(binary)} failed (${what}): ${detail}\n${SETUP_HINT} if the binary is broken`,
    );
  }
  return output.resources
    .filter((resource) => resource.status in STATUSES) // "" marks an empty YAML document, not a resource
    .map((resource) => ({
      file: resource.filename,
      kind: resource.kind,
      name: resource.name,
      apiVersion: resource.version,
      status: STATUSES[resource.status],
      message: resource.msg,
      errors: validationErrors(resource.msg, resource.validationErrors ?? []),
    }));
}

/**
 * kubeconform 0.7.0 reports only the first level of the validator's error tree. Kubernetes schemas
 * start with a $ref, so that level is a useless { path: "", msg: "validation failed" }; the whole
 * tree is in msg, one "- at '/spec/hard': got array, want object" entry per node, indented two
 * spaces per level. The leaves are the errors a person can act on.
 */
function validationErrors(msg: string, reported: { path: string; msg: string }[]): ResourceVerdict['errors'] {
  const nodes = [...msg.matchAll(/(\s+)- at '((?:[^'\\]|\\.)*)': /g)].map((match, i, all) => ({
    depth: match[1].length,
    path: match[2].replace(/\\(.)/g, '$1'),
    message: msg.slice(match.index + match[0].length, all[i + 1]?.index ?? msg.length).trim(),
  }));
  const leaves = nodes.filter((node, i) => !((nodes[i + 1]?.depth ?? 0) > node.depth));
  const errors =
    leaves.length > 0
      ? leaves.map(({ path, message }) => ({ path, message }))
      : reported.map((error) => ({ path: error.path, message: error.msg }));
  // The validator walks the schema's maps in no fixed order: sorted, the same file gives the same report.
  return errors.sort((a, b) => (a.path === b.path ? (a.message < b.message ? -1 : 1) : a.path < b.path ? -1 : 1));
}
