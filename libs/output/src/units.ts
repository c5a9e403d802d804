/** What a commit swaps in one move: a folder whose files belong together, or a single file. */
export interface StagedUnit {
  /** Relative to its cluster folder; '' for the whole folder. */
  path: string;
  /** false: the unit is no longer rendered, and goes. */
  staged: boolean;
}

/** Every folder holding one of `paths`, at any depth. */
function foldersOf(paths: Iterable<string>): Set<string> {
  const folders = new Set<string>();
  for (const path of paths)
    for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1))
      folders.add(path.slice(0, slash));
  return folders;
}

/** The folders above `path`, the highest first. */
function* ancestors(path: string): Generator<string> {
  for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) yield path.slice(0, slash);
}

/**
 * The units a change swaps: for each changed path (new, changed or gone), the unit `unitOf` names for it,
 * or the highest folder above it that exists on one side only (so a swap never has to create or remove a
 * folder of clusters/ beside its unit); a unit inside another is part of that one. A folder that has no
 * file on disk, or none in the new tree, is swapped whole ('').
 */
export function changedUnits(
  before: ReadonlySet<string>,
  after: ReadonlySet<string>,
  changed: readonly string[],
  unitOf: (path: string) => string,
): StagedUnit[] {
  if (changed.length === 0) return [];
  if (before.size === 0 || after.size === 0) return [{ path: '', staged: true }];
  const [old, next] = [foldersOf(before), foldersOf(after)];
  const unitFor = (path: string) => {
    const named = unitOf(path);
    const unit = named === path || path.startsWith(`${named}/`) ? named : path;
    for (const folder of ancestors(unit)) if (!old.has(folder) || !next.has(folder)) return folder;
    return unit;
  };
  const units = new Set(changed.map(unitFor));
  return [...units]
    .filter((unit) => ![...ancestors(unit)].some((folder) => units.has(folder)))
    .sort()
    .map((path) => ({ path, staged: after.has(path) || next.has(path) }));
}

/** The changed unit `path` belongs to, if any (`units` by path). */
export function unitHolding(path: string, units: ReadonlyMap<string, StagedUnit>): StagedUnit | undefined {
  const whole = units.get('');
  if (whole) return whole;
  for (const folder of ancestors(path)) {
    const unit = units.get(folder);
    if (unit) return unit;
  }
  return units.get(path);
}
