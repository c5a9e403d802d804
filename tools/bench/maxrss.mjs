// Preload (node --import) used only when /usr/bin/time is missing: writes this process's peak RSS
// (process.resourceUsage().maxRSS, KiB) and CPU time (µs) to $FLYTE_GKP_BENCH_MAXRSS_FILE at exit.
import { writeFileSync } from 'node:fs';

const file = process.env.FLYTE_GKP_BENCH_MAXRSS_FILE;
if (file) {
  delete process.env.FLYTE_GKP_BENCH_MAXRSS_FILE; // not for grandchildren
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(file, `maxRSS ${usage.maxRSS}\ncpu ${usage.userCPUTime + usage.systemCPUTime}\n`);
  });
}
