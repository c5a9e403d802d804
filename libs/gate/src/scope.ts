import type { Diagnostic } from '@flyte-gkp/diagnostics';
import { projectOfPath } from '@flyte-gkp/plan';
import { specExtensions, type Loaded } from './workspace.js';

/**
 * Which findings a focused run reports (`validate --project`, `--shared-only`): a spec's own, those of
 * the files it owns under clusters/, and the platform's and cluster-wide files'.
 */
export type Scope = (file: string) => boolean;

export const everything: Scope = () => true;

export const isProjectOutput = (path: string) => /^clusters\/[^/]+\/projects\//.test(path);
const stemsOf = (specFiles: string[]) =>
  new Map(specFiles.map((f) => [f.slice('projects/'.length).replace(specExtensions, ''), f]));

/**
 * Which spec owns a file under clusters/: the one named after its `projects/<id>/` folder. Decided by
 * path, not by the fresh render, so the committed files of a spec that no longer renders are still its
 * own, and those of a removed spec belong to no spec (the cluster-wide check reports them).
 */
function ownerOf(path: string, specByStem: Map<string, string>): string | undefined {
  const id = projectOfPath(path);
  return id === null ? undefined : specByStem.get(id);
}

/**
 * A file is in scope when it is a focused spec or a file that spec owns, or the platform and the
 * cluster-wide files. The leftovers of a removed spec and the entries of projects/ that are no spec go
 * to the cluster-wide check (empty focus).
 */
export function scope(focus: ReadonlySet<string> | undefined, specFiles: string[]): Scope {
  if (!focus) return everything;
  const specByStem = stemsOf(specFiles);
  const specs = new Set(specFiles);
  return (file) => {
    // An entry of projects/ that is no spec (a stray file, a folder, a link) is no spec's: the shared check's.
    if (file.startsWith('projects/')) return specs.has(file) ? focus.has(file) : focus.size === 0;
    if (!isProjectOutput(file)) return true;
    const owner = ownerOf(file, specByStem);
    return owner === undefined ? focus.size === 0 : focus.has(owner);
  };
}

/**
 * Output of a spec that does not load cannot be compared with a render (there is none), nor can the
 * cluster-wide files that list every spec: its own findings say what to fix first.
 */
export function comparable(loaded: Loaded): (d: Diagnostic) => boolean {
  const failed = new Set(loaded.diagnostics.map((d) => d.file));
  const specByStem = stemsOf(loaded.specFiles);
  return (d) => {
    if (failed.size === 0) return true;
    if (!isProjectOutput(d.file)) return false;
    const owner = ownerOf(d.file, specByStem);
    return owner === undefined || !failed.has(owner);
  };
}
