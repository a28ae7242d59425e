// Secrets the server is given (credentials in the --zones-git and Redis URLs,
// webhook URLs, the admin token) must never be shown: not in /status, not in
// a log line, not in an error. Everything that shows a URL goes through here
// (webhook URLs through checks/webhook-url.ts's webhookForLog), and every log
// line passes redactText on its way out (log.ts, both formats), so a secret
// that slips into an error message from a library is still caught.

const MASK = '***';
const secrets = new Set<string>();

/** Remembers a secret value so that redactText hides it wherever it appears. */
export function registerSecret(value: string | undefined): void {
  // Very short values would mask ordinary words; they are not worth much as secrets either.
  if (value && value.length >= 6) secrets.add(value);
}

/** Registers a URL and, separately, the credentials inside it (they may be printed decoded or alone). */
export function registerSecretUrl(url: string | undefined): void {
  if (!url) return;
  registerSecret(url);
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(url);
  if (!m) return;
  const userinfo = m[1]!;
  const colon = userinfo.indexOf(':');
  for (const part of colon >= 0 ? [userinfo.slice(colon + 1), userinfo] : [userinfo]) {
    registerSecret(part);
    try {
      registerSecret(decodeURIComponent(part));
    } catch {
      // not valid percent-encoding: the raw form is registered
    }
  }
}

/** `scheme://user:pass@host/x` -> `scheme://***@host/x`; anything without credentials (a local path) unchanged. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, `$1${MASK}@`);
}

/** Hides registered secrets and the credentials of any URL inside free text. */
export function redactText(text: string): string {
  let out = text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"']*@/gi, `$1${MASK}@`);
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}
