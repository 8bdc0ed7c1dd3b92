import type { ChainAnchor } from './chain.js';

export type CareGiverAnchor = { careGiverId: string } & ChainAnchor;

/**
 * Writes the care givers' chain heads to the technical log every `intervalMs`, those that moved since the last line.
 * The chain proves the events against the blocks, but whoever holds the database owner's rights can remove events and
 * seal the rest again into a chain consistent in itself; a head logged earlier, kept by the log system outside the
 * database, no longer matches it (`npm run audit:verify -- --anchors <log file>`). Care giver ids are organisations'
 * HSA-ids, and a hash tells nothing of the events.
 */
export class AnchorLog {
  private readonly logged = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly heads: () => Promise<CareGiverAnchor[]>,
    private readonly write: (anchors: CareGiverAnchor[]) => void,
    private readonly onError: (err: unknown) => void,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.now(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and logs the heads once more (after the last seal pass, on shutdown). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    if (this.intervalMs > 0) await this.now();
  }

  /** Logs the heads that moved since the last line (none: no line). */
  async now(): Promise<void> {
    this.running = (async () => {
      try {
        const moved = (await this.heads()).filter((h) => this.logged.get(h.careGiverId) !== h.seq);
        if (moved.length === 0) return;
        this.write(moved);
        for (const h of moved) this.logged.set(h.careGiverId, h.seq);
      } catch (err) {
        this.onError(err);
      }
    })();
    await this.running;
  }
}

/** The anchors in a log's lines ("audit chain heads" lines of the service's JSON log), per care giver. */
export function anchorsInLog(text: string): Map<string, ChainAnchor[]> {
  const anchors = new Map<string, ChainAnchor[]>();
  for (const line of text.split('\n')) {
    if (!line.includes('"auditAnchors"')) continue;
    let entry: { auditAnchors?: unknown };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (!Array.isArray(entry.auditAnchors)) continue;
    for (const a of entry.auditAnchors as Partial<CareGiverAnchor>[]) {
      if (typeof a.careGiverId !== 'string' || typeof a.seq !== 'number' || typeof a.hash !== 'string') continue;
      const list = anchors.get(a.careGiverId) ?? [];
      list.push({ seq: a.seq, hash: a.hash });
      anchors.set(a.careGiverId, list);
    }
  }
  return anchors;
}
