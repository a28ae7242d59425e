// Health events to HTTP receivers: JSON POST, retried with backoff, and
// claimed in the shared store first so that several probers or servers
// seeing the same change send it once.
import type { Logger } from 'pino';
import type { HealthStore } from './store/types.js';
import type { HealthEvent } from './live.js';
import { signatureHeaders } from './signing.js';
import { judgeError, judgeStatus, webhookForLog, type Delivery } from './webhook-url.js';

export interface WebhookOptions {
  urls: string[];
  store: HealthStore;
  log: Logger;
  /** Sender name in the payload (the vantage or server id). */
  source: string;
  /** Signs every POST (X-Pulsedns-Signature, see signing.ts) when set. */
  secret?: string;
  attempts?: number;
  firstBackoffMs?: number;
  timeoutMs?: number;
}

export class Webhooks {
  private readonly attempts: number;
  private readonly backoff: number;
  private readonly timeout: number;
  private pending = new Set<Promise<void>>();

  constructor(private readonly opts: WebhookOptions) {
    this.attempts = opts.attempts ?? 5;
    this.backoff = opts.firstBackoffMs ?? 1000;
    this.timeout = opts.timeoutMs ?? 5000;
  }

  /** Fire and forget; failures are logged, never thrown. */
  send(event: HealthEvent): void {
    if (this.opts.urls.length === 0) return;
    const p = this.deliver(event).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Waits for deliveries in progress (used on shutdown and in tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async deliver(event: HealthEvent): Promise<void> {
    let claimed: boolean;
    try {
      claimed = await this.opts.store.claimEvent(event.id, 10 * 60_000);
    } catch {
      // Store down: better a duplicate alert than a lost one.
      claimed = true;
    }
    if (!claimed) return;
    const body = JSON.stringify({ ...event, time: new Date(event.at).toISOString(), source: this.opts.source });
    await Promise.all(this.opts.urls.map((url) => this.post(url, body, event)));
  }

  private async post(url: string, body: string, event: HealthEvent): Promise<void> {
    // The path and query of a webhook URL are often its secret: logs show scheme and host only.
    const shown = webhookForLog(url);
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      let result: Delivery;
      try {
        const res = await fetch(url, {
          method: 'POST',
          // Signed per attempt: a retry carries a fresh timestamp, not one a receiver would find stale.
          headers: { 'content-type': 'application/json', 'user-agent': 'pulsedns', 'x-pulsedns-event': event.type, 'x-pulsedns-id': event.id, ...(this.opts.secret ? signatureHeaders(this.opts.secret, body) : {}) },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.timeout),
        });
        await res.arrayBuffer().catch(() => undefined);
        result = judgeStatus(res.status);
      } catch (e) {
        result = judgeError(e);
      }
      if (result.ok) return;
      if (result.permanent) {
        this.opts.log.error({ url: shown, err: result.why, event: event.type, id: event.id }, 'webhook failed for good; not retrying (the event is lost for this receiver)');
        return;
      }
      if (attempt === this.attempts) {
        this.opts.log.error({ url: shown, err: result.why, event: event.type, id: event.id }, 'webhook given up after retries');
        return;
      }
      this.opts.log.warn({ url: shown, err: result.why, attempt }, 'webhook failed; will retry');
      await new Promise((r) => setTimeout(r, this.backoff * 2 ** (attempt - 1)));
    }
  }
}
