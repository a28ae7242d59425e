// One vantage's opinion of one member: consecutive results against fall and
// rise. Pure, so flapping behaviour is tested with plain numbers.

export class FallRise {
  /** Cold start counts as healthy: a member is never down before it has failed. */
  up = true;
  okRun = 0;
  failRun = 0;
  since: number;
  lastReason: string | undefined;
  lastAt = 0;

  constructor(now: number, private readonly fall: number, private readonly rise: number) {
    this.since = now;
  }

  /** Records one probe result; returns true when the state flipped. */
  observe(ok: boolean, now: number, reason?: string): boolean {
    this.lastAt = now;
    if (ok) {
      this.okRun++;
      this.failRun = 0;
      if (!this.up && this.okRun >= this.rise) return this.flip(true, now);
    } else {
      this.failRun++;
      this.okRun = 0;
      this.lastReason = reason;
      if (this.up && this.failRun >= this.fall) return this.flip(false, now);
    }
    return false;
  }

  private flip(up: boolean, now: number): true {
    this.up = up;
    this.since = now;
    return true;
  }
}
