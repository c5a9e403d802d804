// Wall time and peak memory of one child process. Peak memory is the max RSS the kernel reports for the
// child and its descendants (GNU time's "Maximum resident set size": the largest single process of the
// tree, e.g. the node process tsx starts, or kubeconform). Without /usr/bin/time, node commands run
// under a preload that reads process.resourceUsage().maxRSS at exit (node's own RSS only).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const gnuTime = '/usr/bin/time';
export const hasGnuTime = existsSync(gnuTime);
const maxRssPreload = fileURLToPath(new URL('./maxrss.mjs', import.meta.url));

export interface Run {
  ms: number;
  /** Peak resident set size in MiB; undefined when it cannot be measured. */
  maxRssMiB?: number;
  /**
   * CPU time (user + system) of the child and its descendants, in ms:
   * less sensitive than wall time to a busy machine.
   */
  cpuMs?: number;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** The command is `node …`: without GNU time, measure it with the preload instead. */
  node?: boolean;
}

/** Runs `command args` once, timing it from spawn to exit. */
export async function measure(command: string, args: string[], options: RunOptions): Promise<Run> {
  const scratch = mkdtempSync(join(tmpdir(), 'flyte-gkp-bench-time-'));
  const report = join(scratch, 'rusage');
  let argv: string[];
  let env = { ...process.env, ...options.env };
  if (hasGnuTime) {
    argv = [gnuTime, '-v', '-o', report, command, ...args];
  } else if (options.node) {
    argv = [command, '--import', maxRssPreload, ...args];
    env = { ...env, FLYTE_GKP_BENCH_MAXRSS_FILE: report };
  } else {
    argv = [command, ...args];
  }
  try {
    const started = performance.now();
    const { exitCode, stdout, stderr } = await new Promise<{ exitCode: number; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(argv[0], argv.slice(1), { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (b: Buffer) => out.push(b));
        child.stderr.on('data', (b: Buffer) => err.push(b));
        child.on('error', reject);
        child.on('close', (code) =>
          resolve({
            exitCode: code ?? -1,
            stdout: Buffer.concat(out).toString(),
            stderr: Buffer.concat(err).toString(),
          }),
        );
      },
    );
    const ms = performance.now() - started;
    return { ms, ...readRusage(report), exitCode, stdout, stderr };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function readRusage(report: string): { maxRssMiB?: number; cpuMs?: number } {
  if (!existsSync(report)) return {};
  const text = readFileSync(report, 'utf8');
  const number = (pattern: RegExp) => {
    const match = pattern.exec(text);
    return match ? Number(match[1]) : undefined;
  };
  // GNU time -v, or the preload's "maxRSS <KiB>" and "cpu <µs>" lines.
  const rssKiB = number(/Maximum resident set size \(kbytes\): (\d+)/) ?? number(/^maxRSS (\d+)$/m);
  const user = number(/User time \(seconds\): ([\d.]+)/);
  const system = number(/System time \(seconds\): ([\d.]+)/);
  const preloadCpu = number(/^cpu (\d+)$/m);
  return {
    maxRssMiB: rssKiB === undefined ? undefined : rssKiB / 1024,
    cpuMs:
      user !== undefined && system !== undefined
        ? (user + system) * 1000
        : preloadCpu === undefined
          ? undefined
          : preloadCpu / 1000,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface Summary {
  /** every run, in order */
  runsMs: number[];
  medianMs: number;
  /** the highest peak RSS of the runs */
  maxRssMiB?: number;
  /** median CPU time (user + system) of the runs */
  cpuMedianMs?: number;
}

export function summarize(runs: Run[]): Summary {
  const rss = runs.map((r) => r.maxRssMiB).filter((v): v is number => v !== undefined);
  const cpu = runs.map((r) => r.cpuMs).filter((v): v is number => v !== undefined);
  return {
    runsMs: runs.map((r) => round(r.ms)),
    medianMs: round(median(runs.map((r) => r.ms))),
    maxRssMiB: rss.length ? round(Math.max(...rss)) : undefined,
    cpuMedianMs: cpu.length ? round(median(cpu)) : undefined,
  };
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
