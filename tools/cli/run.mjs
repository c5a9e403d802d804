#!/usr/bin/env node
// Runs tools/cli/main.ts from one bundled file. Loading the bundle takes ~0.3 s where tsx, transpiling
// and resolving every module, took ~1 s; every render, validate and nx target pays it. The bundle is
// rebuilt (esbuild, ~0.2 s) whenever a file it was built from changed, so it is never stale.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const entry = 'tools/cli/main.ts';
export const bundleFile = join(root, '.tools/cli/flyte-gkp.mjs');
const stampFile = `${bundleFile}.inputs.json`;
// Not inputs esbuild reports, but they change what it builds.
const buildConfig = ['tsconfig.base.json', 'package-lock.json', 'tools/cli/run.mjs'];

function digestOf(files) {
  const hash = createHash('sha256');
  for (const file of files)
    hash.update(`${file}\0`).update(existsSync(join(root, file)) ? readFileSync(join(root, file)) : '\0missing');
  return hash.digest('hex');
}

function isFresh() {
  if (!existsSync(bundleFile) || !existsSync(stampFile)) return false;
  const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
  return stamp.digest === digestOf(stamp.inputs);
}

/** Written aside and renamed into place: runs started in parallel (nx targets) never read half a file. */
function writeAtomically(file, content) {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, file);
}

async function build() {
  const { build: esbuild } = await import('esbuild');
  const result = await esbuild({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    tsconfig: 'tsconfig.base.json',
    // Bundled CommonJS packages (ajv) call require; an ES module has none of its own.
    banner: {
      js:
        "import { createRequire as __createRequire } from 'node:module'; " +
        'const require = __createRequire(import.meta.url);',
    },
    metafile: true,
    write: false,
    outfile: bundleFile,
    logLevel: 'warning',
  });
  const inputs = [...new Set([...Object.keys(result.metafile.inputs), ...buildConfig])].sort();
  mkdirSync(dirname(bundleFile), { recursive: true });
  writeAtomically(bundleFile, result.outputFiles[0].contents);
  writeAtomically(stampFile, `${JSON.stringify({ digest: digestOf(inputs), inputs }, null, 1)}\n`);
}

if (!isFresh()) await build();
await import(pathToFileURL(bundleFile).href);
