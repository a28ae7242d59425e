// Which webhook URLs are accepted, and which delivery failures are worth a
// retry. Both decided once, here: a URL that can never work is refused when
// the process starts, and an error that cannot heal is not retried five times
// (which only delays the log line saying the alert is lost).

/** A webhook URL for a log line: `https://hooks.example.com/…` (its path and query are usually the secret). */
export function webhookForLog(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Checks a --webhook URL: http or https, with a host, and no user:password
 * part (put a receiver's secret in its path or query, as hosted services do).
 * Throws with a one-line reason that shows no more of the URL than webhookForLog.
 */
export function validateWebhookUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error('--webhook: not a URL (expected https://HOST/PATH)');
  }
  const shown = webhookForLog(text);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`--webhook ${u.protocol}…: only http:// and https:// URLs are accepted`);
  if (!u.hostname) throw new Error(`--webhook ${shown}: the URL has no host`);
  if (u.username || u.password) throw new Error(`--webhook ${shown}: user:password in the URL is not supported; put the receiver's secret in its path or query`);
  return text;
}

/** TLS failures that will fail the same way next time (a wrong or expired certificate). */
const CERT_ERRORS = /^(CERT_|ERR_TLS_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET_ISSUER_CERT|VERIFY_LEAF_SIGNATURE))/;

export type Delivery = { ok: true } | { ok: false; permanent: boolean; why: string };

/** How a receiver's answer counts: 2xx done; 3xx, and 4xx other than 408/429, will not heal. */
export function judgeStatus(status: number): Delivery {
  if (status >= 200 && status < 300) return { ok: true };
  if (status >= 300 && status < 400) return { ok: false, permanent: true, why: `HTTP ${status}: a redirect, which is never followed (the event would go to another host); fix the URL` };
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return { ok: false, permanent: true, why: `HTTP ${status}: rejected` };
  return { ok: false, permanent: false, why: `HTTP ${status}` };
}

/** How a failed request counts: a certificate error will not heal; refusals, resets and timeouts may. */
export function judgeError(e: unknown): Delivery {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (e as NodeJS.ErrnoException).code ?? '';
  if (CERT_ERRORS.test(code)) return { ok: false, permanent: true, why: `TLS certificate: ${code}` };
  if (code === 'ERR_INVALID_URL') return { ok: false, permanent: true, why: 'invalid URL' };
  return { ok: false, permanent: false, why: code || (e as Error).name || 'request failed' };
}
