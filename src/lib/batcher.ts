/**
 * Concurrent callers share one call of `run`: a group commit for writes, one query for many lookups. Callers are
 * taken right after the current turn of the event loop (no added latency when the service is idle); callers arriving
 * while every slot is busy wait and go together in the next free one. Each caller's promise settles with its own
 * outcome, so nothing is answered before its own write has committed.
 *
 * Per-call costs (round trips, the commit, row locks such as a unit's case version) are paid once per group instead
 * of once per caller; `maxInFlight` calls may run at once so that one call's round trips do not idle the others.
 */
export class Batcher<T, R> {
  private pending: { item: T; resolve: (value: R) => void; reject: (reason: unknown) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;

  /**
   * @param run handles a group and settles each item (same order); when it throws, every item of the group fails.
   * @param maxGroup the most items one call takes.
   * @param maxInFlight the most calls under way at once.
   */
  constructor(
    private readonly run: (items: T[]) => Promise<PromiseSettledResult<R>[]>,
    private readonly maxGroup: number,
    private readonly maxInFlight = 1,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.pending.length === 0) return;
    this.scheduled = true;
    // After the current turn of the event loop, so that requests read in the same turn join one group.
    setImmediate(() => {
      this.scheduled = false;
      while (this.pending.length > 0 && this.inFlight < this.maxInFlight) {
        void this.dispatch(this.pending.splice(0, this.maxGroup));
      }
    });
  }

  private async dispatch(group: typeof this.pending): Promise<void> {
    this.inFlight++;
    try {
      const outcomes = await this.run(group.map((g) => g.item));
      group.forEach((g, i) => {
        const outcome = outcomes[i];
        if (outcome?.status === 'fulfilled') g.resolve(outcome.value);
        else g.reject(outcome ? outcome.reason : new Error('the batch returned no outcome for an item'));
      });
    } catch (err) {
      for (const g of group) g.reject(err);
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }
}

export const fulfilled = <R>(value: R): PromiseFulfilledResult<R> => ({ status: 'fulfilled', value });
export const rejected = (reason: unknown): PromiseRejectedResult => ({ status: 'rejected', reason });
