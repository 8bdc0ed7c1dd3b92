import type { Executor } from '../../db/client.js';
import { careGiversWithUnsealedEvents, sealAuditEvents } from './repository.js';

export interface SealerOptions {
  /** Delay after an append before sealing: lets the appending transaction commit and batches bursts. */
  delayMs?: number;
  /** How often every care giver's leftovers are swept (events whose transaction committed after a seal ran). */
  sweepMs?: number;
  onError?: (err: unknown) => void;
}

/**
 * Seals appended audit events into their care giver's hash chain shortly after they are written, off the request
 * path: appends never wait for the chain, and a burst of appends is sealed in one pass. Several processes may seal
 * the same chain; the chain head's row lock makes them take turns, and one that finds it busy just tries again.
 */
export class AuditSealer {
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly db: Executor,
    private readonly options: SealerOptions = {},
  ) {}

  start(): void {
    this.stopped = false;
    this.sweeper = setInterval(() => void this.sweep(), this.options.sweepMs ?? 2_000);
    this.sweeper.unref();
  }

  /** Stops the timers and seals what is left, so a clean shutdown leaves nothing unsealed. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweeper);
    clearTimeout(this.timer);
    await this.running;
    await this.sweep(true);
  }

  /** Marks a care giver's chain as having new events. */
  touch(careGiverId: string): void {
    this.dirty.add(careGiverId);
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.delayMs ?? 10);
    this.timer.unref();
  }

  /** Seals every pending chain now, waiting for a busy sealer (verification and tests use this). */
  async sealNow(careGiverId: string): Promise<void> {
    await this.running;
    await sealAuditEvents(this.db, careGiverId, true);
  }

  private async flush(): Promise<void> {
    if (this.running) {
      // One pass at a time; the pass in progress picks these up or the next touch does.
      await this.running;
      if (this.dirty.size > 0 && !this.timer) this.touch([...this.dirty][0]!);
      return;
    }
    const careGivers = [...this.dirty];
    this.dirty.clear();
    this.running = (async () => {
      for (const careGiverId of careGivers) {
        try {
          if ((await sealAuditEvents(this.db, careGiverId, false)) < 0) this.dirty.add(careGiverId);
        } catch (err) {
          this.dirty.add(careGiverId);
          this.options.onError?.(err);
        }
      }
    })();
    await this.running;
    this.running = undefined;
    if (this.dirty.size > 0 && !this.stopped) this.touch([...this.dirty][0]!);
  }

  private async sweep(wait = false): Promise<void> {
    try {
      for (const careGiverId of await careGiversWithUnsealedEvents(this.db)) {
        await sealAuditEvents(this.db, careGiverId, wait);
      }
    } catch (err) {
      this.options.onError?.(err);
    }
  }
}
