// RFC 4034 section 6.1 canonical order for names held in the canonical form
// of wire/names.ts (lowercase wire bytes in a latin1 string): label by label
// from the right, each label as an unsigned byte string, a prefix first.

/** Room for the longest name (255 bytes) and a suffix. */
const codes = new Uint16Array(264);
const starts = new Int32Array(128);

/**
 * A string whose plain `<` order is the canonical order of `name`: labels
 * from the right, each byte shifted up by one (so any byte sorts above the
 * 0 that ends a label), which keeps a label that is a prefix of another first.
 * `id` (0 to 2^32 - 1) is appended after one more 0, as four bytes: it never
 * changes the order of two names, a name still sorting before its children,
 * and idOfKey reads it back. Built in one buffer, one string per name (a
 * million of them are sorted), and every code unit below 256 for a name
 * without 0xff bytes, so V8 stores the key one byte per character: with the
 * id as two 16-bit units, every key took two, 24 MB more at a million names
 * at the compile's peak.
 */
export function canonicalKey(name: string, id = -1): string {
  let labels = 0;
  for (let i = 0; name.charCodeAt(i) !== 0 && i < name.length; i += name.charCodeAt(i) + 1) starts[labels++] = i;
  let n = 0;
  for (let k = labels - 1; k >= 0; k--) {
    const at = starts[k]!;
    const end = at + name.charCodeAt(at);
    for (let j = at + 1; j <= end; j++) codes[n++] = name.charCodeAt(j) + 1;
    codes[n++] = 0;
  }
  if (id >= 0) {
    codes[n++] = 0;
    codes[n++] = id >>> 24;
    codes[n++] = (id >>> 16) & 0xff;
    codes[n++] = (id >>> 8) & 0xff;
    codes[n++] = id & 0xff;
  }
  return String.fromCharCode.apply(null, codes.subarray(0, n) as unknown as number[]);
}

/** The id canonicalKey(name, id) ends with. */
export function idOfKey(key: string): number {
  const e = key.length;
  return ((key.charCodeAt(e - 4) << 24) | (key.charCodeAt(e - 3) << 16) | (key.charCodeAt(e - 2) << 8) | key.charCodeAt(e - 1)) >>> 0;
}

/** Label start offsets of a wire name in `bytes` at `off`, into `out`; returns the count. */
export function labelStartsBytes(bytes: Uint8Array, off: number, out: Int32Array): number {
  let n = 0;
  let i = off;
  while (bytes[i] !== 0) {
    out[n++] = i;
    i += bytes[i]! + 1;
  }
  return n;
}

export function labelStartsString(name: string, from: number, out: Int32Array): number {
  let n = 0;
  let i = from;
  while (i < name.length && name.charCodeAt(i) !== 0) {
    out[n++] = i;
    i += name.charCodeAt(i) + 1;
  }
  return n;
}

const qs = new Int32Array(128);
const bs = new Int32Array(128);

/** Canonical comparison of `name` (from offset `from`) with the wire name at `bytes[off]`: <0, 0, >0. */
export function compareNameToBytes(name: string, from: number, bytes: Uint8Array, off: number): number {
  const nq = labelStartsString(name, from, qs);
  const nb = labelStartsBytes(bytes, off, bs);
  for (let i = nq - 1, j = nb - 1; i >= 0 && j >= 0; i--, j--) {
    const a = qs[i]!;
    const b = bs[j]!;
    const la = name.charCodeAt(a);
    const lb = bytes[b]!;
    const m = Math.min(la, lb);
    for (let k = 1; k <= m; k++) {
      const d = name.charCodeAt(a + k) - bytes[b + k]!;
      if (d !== 0) return d;
    }
    if (la !== lb) return la - lb;
  }
  return nq - nb;
}
