// Webhook signatures, so a receiver can tell our POSTs from anyone else's:
// HMAC-SHA256, keyed with the shared secret, over "<timestamp>.<raw body>"
// (the Stripe scheme; GitHub's X-Hub-Signature-256 uses the same
// "sha256=<hex>" form). The timestamp is signed too, so a receiver that
// refuses old timestamps cannot be fed a captured request again.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-pulsedns-signature';
export const TIMESTAMP_HEADER = 'x-pulsedns-timestamp';
/** How old a signed request a receiver should still accept (what verifyWebhook defaults to). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

function mac(secret: string, timestamp: string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** Headers to add to a POST of `body` at `nowSeconds` (Unix time). */
export function signatureHeaders(secret: string, body: string, nowSeconds = Math.floor(Date.now() / 1000)): Record<string, string> {
  const timestamp = String(nowSeconds);
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: `sha256=${mac(secret, timestamp, body)}` };
}

/**
 * What a receiver does (and what the tests and docs show): recompute the MAC
 * over the raw body as received, compare in constant time, refuse stale or
 * future timestamps.
 */
export function verifySignature(secret: string, body: string | Buffer, timestamp: string | undefined, signature: string | undefined, nowSeconds = Math.floor(Date.now() / 1000), toleranceSeconds = DEFAULT_TOLERANCE_SECONDS): boolean {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !signature) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const want = Buffer.from(`sha256=${mac(secret, timestamp, body)}`);
  const got = Buffer.from(signature);
  return got.length === want.length && timingSafeEqual(got, want);
}
