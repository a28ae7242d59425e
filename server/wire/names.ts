// Domain names inside pulsedns are kept in one canonical form: the uncompressed
// wire encoding, ASCII letters lowered, held in a latin1 string. That form is
// what a query carries, so the hot path can look a question up without ever
// turning it into text, and a string makes a cheap, exact Map key.

/** Canonical name: lowercased wire bytes as a latin1 string (root is "\0"). */
export type Name = string;

export const ROOT: Name = '\0';

export class NameError extends Error {}

/**
 * Parses presentation text ("www", "www.example.com.", "@", "*.x") into a
 * canonical Name. Relative names are completed with `origin`.
 * Supports RFC 1035 escapes (\. and \DDD) so odd labels survive import/export.
 */
export function nameFromText(text: string, origin: Name = ROOT): Name {
  if (text === '@') return origin;
  if (text === '.') return ROOT;
  return plainName(text, origin) ?? nameFromTextGeneral(text, origin);
}

/**
 * nameFromText for the names zone files are made of: no escape, no upper
 * case, every label 1-63 bytes, 255 at most in all. Undefined for anything
 * else, which the general parser reads (or refuses, with its message). A
 * million-record zone parses a million owners and a few hundred thousand
 * targets; this makes one string per label, not one per character.
 */
function plainName(text: string, origin: Name): Name | undefined {
  const n = text.length;
  if (n === 0 || n > 255) return undefined;
  let wire = '';
  let start = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      const len = i - start;
      if (len === 0 || len > 63) return undefined;
      wire += String.fromCharCode(len) + text.slice(start, i);
      start = i + 1;
    } else if (c < 0x21 || c > 0x7e || c === 0x5c || (c >= 0x41 && c <= 0x5a)) return undefined;
  }
  // A trailing dot: absolute.
  const full = start === n ? wire + ROOT : n - start > 63 ? undefined : wire + String.fromCharCode(n - start) + text.slice(start) + origin;
  return full === undefined || full.length > 255 ? undefined : full;
}

/** nameFromText without the plain-name shortcut: escapes, upper case, and every refusal's message. */
export function nameFromTextGeneral(text: string, origin: Name = ROOT): Name {
  if (text === '@') return origin;
  if (text === '.') return ROOT;
  if (text.length === 0) throw new NameError('empty name');
  const labels: string[] = [];
  let cur = '';
  let absolute = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\') {
      const next = text[i + 1];
      if (next === undefined) throw new NameError(`dangling escape in "${text}"`);
      if (/[0-9]/.test(next)) {
        const digits = text.slice(i + 1, i + 4);
        if (!/^[0-9]{3}$/.test(digits) || Number(digits) > 255) {
          throw new NameError(`bad \\DDD escape in "${text}"`);
        }
        cur += String.fromCharCode(Number(digits));
        i += 3;
      } else {
        cur += next;
        i += 1;
      }
    } else if (ch === '.') {
      if (cur.length === 0) throw new NameError(`empty label in "${text}"`);
      labels.push(cur);
      cur = '';
      if (i === text.length - 1) absolute = true;
    } else {
      const code = ch.charCodeAt(0);
      if (code > 0x7e || code < 0x21) throw new NameError(`character ${JSON.stringify(ch)} not allowed in "${text}"`);
      cur += ch;
    }
  }
  if (!absolute) {
    if (cur.length > 0) labels.push(cur);
  }
  let wire = '';
  for (const l of labels) {
    if (l.length > 63) throw new NameError(`label "${l.slice(0, 20)}..." is ${l.length} bytes, the limit is 63`);
    wire += String.fromCharCode(l.length) + lowerAscii(l);
  }
  const full = absolute ? wire + ROOT : wire + origin;
  if (full.length > 255) throw new NameError(`name "${text}" is longer than 255 bytes`);
  return full;
}

function lowerAscii(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) | 0x20));
}

/** Presentation form with trailing dot, escaping what must be escaped. */
export function nameToText(name: Name): string {
  if (name === ROOT) return '.';
  let out = '';
  let i = 0;
  while (i < name.length) {
    const len = name.charCodeAt(i);
    if (len === 0) break;
    for (let j = i + 1; j <= i + len; j++) {
      const c = name.charCodeAt(j);
      if (c === 0x2e || c === 0x5c || c === 0x22 || c === 0x28 || c === 0x29 || c === 0x3b || c === 0x40 || c === 0x24) {
        out += '\\' + name[j];
      } else if (c <= 0x20 || c >= 0x7f) {
        out += '\\' + String(c).padStart(3, '0');
      } else {
        out += name[j];
      }
    }
    out += '.';
    i += len + 1;
  }
  return out;
}

/** Name relative to origin for display ("www", "@"), absolute if outside. */
export function nameRelative(name: Name, origin: Name): string {
  if (name === origin) return '@';
  if (isSubdomain(name, origin)) {
    const text = nameToText(name.slice(0, name.length - origin.length) + ROOT);
    return text.slice(0, -1);
  }
  return nameToText(name);
}

/** The name with its first label removed; root stays root. */
export function parentName(name: Name): Name {
  if (name === ROOT) return ROOT;
  return name.slice(name.charCodeAt(0) + 1);
}

export function labelCount(name: Name): number {
  let n = 0;
  let i = 0;
  while (name.charCodeAt(i) !== 0) {
    n++;
    i += name.charCodeAt(i) + 1;
  }
  return n;
}

/** True when `name` equals `zone` or lies below it, comparing whole labels. */
export function isSubdomain(name: Name, zone: Name): boolean {
  if (zone.length > name.length) return false;
  if (zone === ROOT) return true;
  const start = name.length - zone.length;
  if (!name.endsWith(zone)) return false;
  // endsWith on bytes could match mid-label; confirm `start` is a label boundary.
  let i = 0;
  while (i < start) i += name.charCodeAt(i) + 1;
  return i === start;
}

export function isWildcard(name: Name): boolean {
  return name.charCodeAt(0) === 1 && name.charCodeAt(1) === 0x2a;
}

export function wildcardOf(name: Name): Name {
  return '\x01*' + name;
}

export function nameToBuffer(name: Name): Buffer {
  return Buffer.from(name, 'latin1');
}
