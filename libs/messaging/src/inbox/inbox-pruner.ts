import { Logger } from '@nestjs/common';
import type { Inbox } from './inbox.js';

/** Beyond the longest retention: a redelivery can only be of a message still on its topic, plus a day of slack for clocks and slow consumers. */
export const INBOX_MARGIN_MS = 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * How long the inbox must remember an applied event: as long as a copy of it can
 * still be delivered, i.e. the longest retention among the topics it is read from
 * (including the dead-letter topic, whose letters can be redriven), plus a margin.
 * Null when a topic keeps its messages forever (retention.ms = -1): never prune.
 */
export function inboxKeepMs(retentionsMs: readonly number[]): number | null {
  if (retentionsMs.length === 0 || retentionsMs.some((ms) => ms < 0)) return null;
  return Math.max(...retentionsMs) + INBOX_MARGIN_MS;
}

/** Prunes the inbox at start and every hour, keeping what `inboxKeepMs` says. */
export class InboxPruner {
  private readonly logger = new Logger(InboxPruner.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly inbox: Inbox) {}

  /** `keepMs` null: keep everything (a topic keeps its messages forever, or its retention is unknown). */
  start(keepMs: number | null, everyMs = PRUNE_EVERY_MS): void {
    if (keepMs === null) {
      this.logger.log('the inbox keeps every event id (a topic keeps its messages forever, or its retention is unknown)');
      return;
    }
    this.logger.log(`the inbox keeps event ids for ${formatDuration(keepMs)} (the longest topic retention plus a day)`);
    const prune = () => void this.prune(keepMs);
    prune();
    this.timer = setInterval(prune, everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async prune(keepMs: number): Promise<void> {
    try {
      const pruned = await this.inbox.prune(new Date(Date.now() - keepMs));
      if (pruned > 0) this.logger.log(`pruned ${pruned} event id(s) older than ${formatDuration(keepMs)} from the inbox`);
    } catch (error) {
      // The next round tries again; a bigger inbox for an hour harms nothing.
      this.logger.warn(`pruning the inbox failed: ${(error as Error).message}`);
    }
  }
}

function formatDuration(ms: number): string {
  const hours = ms / 3_600_000;
  return hours >= 48 ? `${+(hours / 24).toFixed(1)} days` : `${+hours.toFixed(1)} hours`;
}
