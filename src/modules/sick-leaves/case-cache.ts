/**
 * A bounded in-process LRU of built case lists. An entry is keyed on what the cases depend on (care giver, unit,
 * activeOn, maxGapDays, recentlyEndedDays) and remembers the unit's case version it was built at; a lookup with
 * another version rebuilds and replaces it, so an old version never takes a slot. Every write that changes a unit's
 * cases bumps that version in the database in its own transaction, so a cache hit is never stale, whichever process
 * made the write. Concurrent misses on one key share one build. An entry behind the asked version is handed to
 * `refresh` (when given), which can bring it up to date for less than a build.
 */
export class CaseCache<T> {
  private readonly entries = new Map<string, { version: string; value: Promise<T> }>();

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  async get(
    key: string,
    version: string,
    build: () => Promise<T>,
    refresh?: (previous: T, previousVersion: string) => Promise<T>,
  ): Promise<T> {
    if (this.maxEntries <= 0) return build();
    const hit = this.entries.get(key);
    if (hit && hit.version === version) {
      // Most recently used last: Map keeps insertion order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    // A request that read an older version than the one cached is answered, not cached.
    if (hit && BigInt(hit.version) > BigInt(version)) return build();
    const value = hit && refresh ? hit.value.then((previous) => refresh(previous, hit.version)) : build();
    this.entries.delete(key);
    this.entries.set(key, { version, value });
    // A failed build is forgotten, so the next request tries again.
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
