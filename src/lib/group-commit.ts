/**
 * Group commit: concurrent callers share one write. The first caller is written right after the current turn of the
 * event loop (no added latency when the service is idle); callers arriving while that write is under way are written
 * together by the next one. Each
 * caller's promise settles with its own outcome, so nothing is answered before its own write has committed.
 *
 * One group is in flight at a time: per-write costs (round trips, the commit, row locks such as a unit's case
 * version) are paid once per group instead of once per caller.
 */
export class GroupCommit<T, R> {
  private pending: { item: T; resolve: (value: R) => void; reject: (reason: unknown) => void }[] = [];
  private flushing = false;

  /**
   * @param write writes a group and settles each item (same order); when it throws, every item of the group fails.
   * @param maxGroup the most items one write takes.
   */
  constructor(
    private readonly write: (items: T[]) => Promise<PromiseSettledResult<R>[]>,
    private readonly maxGroup: number,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        // After the current turn of the event loop, so that requests read in the same turn join the first group.
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const group = this.pending.splice(0, this.maxGroup);
        try {
          const outcomes = await this.write(group.map((g) => g.item));
          group.forEach((g, i) => {
            const outcome = outcomes[i];
            if (outcome?.status === 'fulfilled') g.resolve(outcome.value);
            else g.reject(outcome ? outcome.reason : new Error('group write returned no outcome'));
          });
        } catch (err) {
          for (const g of group) g.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}

export const fulfilled = <R>(value: R): PromiseFulfilledResult<R> => ({ status: 'fulfilled', value });
export const rejected = (reason: unknown): PromiseRejectedResult => ({ status: 'rejected', reason });
