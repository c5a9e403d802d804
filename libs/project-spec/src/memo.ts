/**
 * Values computed before, by a digest of what they were computed from: what a render of 1,000 projects
 * of which few changed would otherwise compute again (YAML texts, parsed specs). The caller names the
 * key; a memo serves one version of the code that computed its values (the file it is kept in is named
 * by that version). `used` is what this run asked for, so a bounded memo keeps the recent values.
 */
export class Memo<V> {
  readonly #known: Map<string, V>;
  /** The values this run used, newly computed or known. */
  readonly used = new Map<string, V>();
  /** How many values this run computed that were not known. */
  written = 0;

  constructor(known: Iterable<[string, V]> = []) {
    this.#known = new Map(known);
  }

  /** The value known for `key`, if any. */
  recall(key: string): V | undefined {
    const value = this.#known.get(key);
    if (value !== undefined) this.used.set(key, value);
    return value;
  }

  /** A value computed this run, for the runs after it. */
  remember(key: string, value: V): void {
    if (!this.#known.has(key)) this.written += 1;
    this.used.set(key, value);
  }

  /** The values this run computed, none of which was known. */
  added(): [string, V][] {
    return [...this.used].filter(([key]) => !this.#known.has(key));
  }

  /** How many values were known when the run began. */
  get knownCount(): number {
    return this.#known.size;
  }

  /** Known and used values, the ones used last (most recent), at most `limit`. */
  entries(limit: number): [string, V][] {
    const all = new Map(this.#known);
    for (const [key, value] of this.used) {
      all.delete(key);
      all.set(key, value);
    }
    return [...all].slice(-limit);
  }
}

/**
 * Plain data that JSON writes without losing anything: finite numbers other than -0, strings, booleans,
 * null, arrays and plain objects. Only such values go into a memo kept as JSON: JSON would write NaN as
 * null and -0 as 0, where YAML tells them apart.
 */
export function isPlainData(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined': // dropped by JSON and YAML alike, or null in an array in both
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      // Loops, not every(): asked of every object of a render, ~10,000 files at 1,000 projects.
      if (Array.isArray(value)) {
        for (const item of value) if (!isPlainData(item)) return false;
        return true;
      }
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return false;
      const mapping = value as Record<string, unknown>;
      for (const key of Object.keys(mapping)) if (!isPlainData(mapping[key])) return false;
      return true;
    }
    default:
      return false;
  }
}
