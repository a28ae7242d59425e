// Error messages about a file quote bits of it ("bad owner name "..."", the
// yaml package's own messages). Those messages reach logs, `/status` and CI
// output, so whatever the file holds (a secret, if someone pointed a zone at
// one, or terminal escape sequences) is cut to a short, printable excerpt
// here, at the one place every zone, pools and import error passes through.

/** Characters of file text one quoted value in a message may show. */
export const MAX_EXCERPT = 60;
/** Longest message; our own wording (with file paths) stays under it. */
export const MAX_MESSAGE = 400;
/** The yaml package's messages may quote the source without quotation marks: they get a tighter cap. */
const YAML_PREFIX = 'YAML syntax: ';
const MAX_YAML_MESSAGE = YAML_PREFIX.length + 80;

/** Printable, single-line and at most `max` characters (an ellipsis marks a cut). */
export function excerpt(text: string, max = MAX_EXCERPT): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** Cuts every quoted value in `message` to an excerpt, then the whole message to MAX_MESSAGE. */
export function boundMessage(message: string): string {
  const quoted = message.replace(/"((?:[^"\\]|\\.)*)"/g, (_m, inner: string) => `"${excerpt(inner)}"`);
  return excerpt(quoted, quoted.startsWith(YAML_PREFIX) ? MAX_YAML_MESSAGE : MAX_MESSAGE);
}

export function boundErrors<E extends { message: string }>(errors: E[]): E[] {
  return errors.map((e) => ({ ...e, message: boundMessage(e.message) }));
}
