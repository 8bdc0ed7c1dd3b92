import type { Executor } from '../../db/client.js';
import { isDatabaseUnavailable } from '../../db/errors.js';
import { nextTransactionId, sealAuditEvents, sealWatermark } from './repository.js';

export interface SealerOptions {
  /** Delay after an append before sealing: lets the appending transaction commit and batches bursts. */
  delayMs?: number;
  /**
   * The least time from one pass's start to the next's under steady appends: a pass has a fixed cost (the watermark
   * lock, a block and a chain head per care giver) that a pass every few milliseconds paid for a handful of events.
   */
  minIntervalMs?: number;
  /** How often a pass runs anyway (events whose transaction was still open when the last pass ran). */
  sweepMs?: number;
  /** How long sealNow waits for transactions still running elsewhere before it gives up. */
  sealNowTimeoutMs?: number;
  /**
   * A failure that goes on is reported again after this long (10 minutes by default); a new or a changed one (other
   * care givers failing, another error) at once; the database out of reach is one failure, whatever its message.
   * Every pass reported it: two lines a second and more in the log.
   */
  repeatReportMs?: number;
  onError?: (err: unknown) => void;
}

/** A pass sealed every care giver's events but these: their next block could not be written (see the migrations). */
export class SealingRefused extends Error {
  constructor(readonly careGiverIds: readonly string[]) {
    super(
      `the audit chain of ${careGiverIds.length === 1 ? 'care giver' : 'care givers'} ${careGiverIds.join(', ')} ` +
        'could not go on (audit_seal_failures tells why); their events wait for a later pass',
    );
  }
}

/**
 * Seals appended audit events into their care givers' hash chains shortly after they are written, off the request
 * path: appends never wait for a chain, and a burst of appends is sealed in one pass, whose cost is one block row per
 * care giver. Several processes may run passes; the watermark row's lock makes them take turns, and one that finds it
 * busy just tries again.
 */
export class AuditSealer {
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private lastPassAt = Number.NEGATIVE_INFINITY;
  /** Whether the last pass of this process failed as a whole (the database refused it, or was out of reach). */
  private lastPassFailed = false;
  /** What was last reported and when, so a failure that goes on is not reported on every pass. */
  private lastReport: { key: string; at: number } | undefined;

  constructor(
    private readonly db: Executor,
    private readonly options: SealerOptions = {},
  ) {}

  start(): void {
    this.stopped = false;
    this.sweeper = setInterval(() => void this.pass(false), this.options.sweepMs ?? 2_000);
    this.sweeper.unref();
  }

  /** Stops the timers and seals what is left, so a clean shutdown leaves nothing unsealed. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweeper);
    clearTimeout(this.timer);
    // Forgotten too, or a touch after a restart would find it set and never schedule a pass.
    this.timer = undefined;
    await this.running;
    await this.pass(true);
  }

  /** Notes that events were appended: a pass runs shortly. */
  touch(): void {
    this.dirty = true;
    if (this.stopped || this.timer) return;
    const sinceLast = Date.now() - this.lastPassAt;
    const delay = Math.max(this.options.delayMs ?? 10, (this.options.minIntervalMs ?? 100) - sinceLast);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delay);
    this.timer.unref();
  }

  /**
   * Seals every event committed before the call (verification and tests use this), waiting for a busy pass and, up
   * to sealNowTimeoutMs, for transactions still running elsewhere that hold the watermark back.
   */
  async sealNow(): Promise<void> {
    await this.running;
    const target = await nextTransactionId(this.db);
    const deadline = Date.now() + (this.options.sealNowTimeoutMs ?? 10_000);
    for (;;) {
      await sealAuditEvents(this.db, true);
      // (A care giver whose chain cannot go on does not hold the watermark back: its events wait, recorded.)
      if ((await sealWatermark(this.db)) >= target || Date.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private async flush(): Promise<void> {
    if (this.running) {
      // One pass at a time; the pass in progress picks these up or the next touch does.
      await this.running;
      if (this.dirty && !this.timer) this.touch();
      return;
    }
    this.dirty = false;
    this.lastPassAt = Date.now();
    this.running = (async () => {
      if ((await this.pass(false)) < 0) this.dirty = true;
    })();
    await this.running;
    this.running = undefined;
    if (this.dirty && !this.stopped) this.touch();
  }

  /** Whether this process's last pass failed as a whole: readiness tells of it (with audit_seal_failures). */
  get failing(): boolean {
    return this.lastPassFailed;
  }

  /**
   * One pass: events sealed, or -1 when another pass was busy or this one failed (reported, retried later). Care
   * givers whose chain could not go on are reported too; the rest was sealed.
   */
  private async pass(wait: boolean): Promise<number> {
    try {
      const { sealed, failed } = await sealAuditEvents(this.db, wait);
      this.lastPassFailed = false;
      if (failed.length > 0) this.report(`refused:${[...failed].sort().join(',')}`, new SealingRefused(failed));
      else if (sealed >= 0) this.lastReport = undefined;
      return sealed;
    } catch (err) {
      this.lastPassFailed = true;
      // An outage is one failure however each pass met it (refused, reset, terminated, timed out): keyed by message,
      // passes that alternated between those messages reported every one of them.
      const key = isDatabaseUnavailable(err)
        ? 'unavailable'
        : `error:${err instanceof Error ? err.message : String(err)}`;
      this.report(key, err);
      return -1;
    }
  }

  private report(key: string, err: unknown): void {
    const now = Date.now();
    const last = this.lastReport;
    if (last?.key === key && now - last.at < (this.options.repeatReportMs ?? 600_000)) return;
    this.lastReport = { key, at: now };
    this.options.onError?.(err);
  }
}
