/**
 * A bounded in-process LRU of built case lists. An entry is keyed on what the cases depend on (care giver, unit,
 * activeOn, maxGapDays, recentlyEndedDays) and remembers the unit's case version it was built at; a lookup with
 * another version rebuilds and replaces it, so an old version never takes a slot. Every write that changes a unit's
 * cases bumps that version in the database in its own transaction, so a cache hit is never stale, whichever process
 * made the write. Concurrent misses on one key share one build. An entry behind the asked version is handed to
 * `refresh` (when given), which can bring it up to date for less than a build.
 */
export class CaseCache<T> {
  private readonly entries = new Map<string, { version: string; value: Promise<T>; size: number }>();
  private held = 0;

  /**
   * @param maxEntries the most lists kept.
   * @param bound the most they may hold in all, by `sizeOf` (the service counts cases): 64 lists of a 3,000-case unit
   *   held about 1 GB of heap, so the number of lists alone does not bound the memory.
   */
  constructor(
    readonly maxEntries: number,
    private readonly bound: { maxSize: number; sizeOf: (value: T) => number } = {
      maxSize: Number.POSITIVE_INFINITY,
      sizeOf: () => 0,
    },
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The total size of the built lists held (by `sizeOf`). */
  get heldSize(): number {
    return this.held;
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
    this.remove(key);
    const entry = { version, value, size: 0 };
    this.entries.set(key, entry);
    // Sized once built; then the least recently used go until the rest fit (one larger than the bound goes itself).
    value.then(
      (built) => {
        if (this.entries.get(key) !== entry) return;
        entry.size = this.bound.sizeOf(built);
        this.held += entry.size;
        for (const k of this.entries.keys()) {
          if (this.held <= this.bound.maxSize) break;
          this.remove(k);
        }
      },
      // A failed build is forgotten, so the next request tries again.
      () => {
        if (this.entries.get(key) === entry) this.remove(key);
      },
    );
    while (this.entries.size > this.maxEntries) this.remove(this.entries.keys().next().value!);
    return value;
  }

  clear(): void {
    this.entries.clear();
    this.held = 0;
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.held -= entry.size;
    this.entries.delete(key);
  }
}
