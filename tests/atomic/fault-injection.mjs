// Loaded into a render with `node --import`: makes renames of its commit fail as a disk would, so the
// tests can refuse each step of the commit (move out, move in, mark, undo) with each error a disk gives.
// FLYTE_GKP_TEST_FAULTS: `step:CODE:path-part[:times]`, several separated by commas; the path part is
// matched against the repository path the rename moves (`*`: any).
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const faults = (process.env.FLYTE_GKP_TEST_FAULTS ?? '')
  .split(',')
  .filter(Boolean)
  .map((fault) => {
    const [step, code, part, times] = fault.split(':');
    return { step, code, part, left: times === undefined ? Infinity : Number(times) };
  });

const state = '/.render/';
const marked = /\.gone-[0-9a-f]{12}$/;

/** The step of the commit a rename is (libs/output/src/atomic.ts), from where it moves. */
function stepOf(from, to) {
  if (marked.test(from)) return 'undo';
  if (marked.test(to)) return 'mark';
  if (!from.includes(state) && to.includes(`${state}previous/`)) return 'out';
  if (from.includes(`${state}staging/`) && !to.includes(state)) return 'in';
  if (!from.includes(state) && to.includes(`${state}staging/`)) return 'undo';
  if (from.includes(`${state}previous/`) && !to.includes(state)) return 'undo';
  return 'other';
}

const rename = fs.promises.rename;
fs.promises.rename = async (from, to) => {
  const step = stepOf(String(from), String(to));
  const moved = step === 'in' || step === 'undo' ? `${from} ${to}` : String(from);
  const fault = faults.find((f) => f.step === step && f.left > 0 && (f.part === '*' || moved.includes(f.part)));
  if (fault) {
    fault.left--;
    throw Object.assign(new Error(`${fault.code}: injected, rename '${from}' -> '${to}'`), {
      code: fault.code,
      syscall: 'rename',
      path: String(from),
      dest: String(to),
    });
  }
  return rename(from, to);
};
syncBuiltinESMExports();
