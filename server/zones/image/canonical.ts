// RFC 4034 section 6.1 canonical order for names held in the canonical form
// of wire/names.ts (lowercase wire bytes in a latin1 string): label by label
// from the right, each label as an unsigned byte string, a prefix first.

/**
 * A string whose plain `<` order is the canonical order of `name`: labels
 * from the right, each byte shifted up by one (so any byte sorts above the
 * 0 that ends a label), which keeps a label that is a prefix of another first.
 */
export function canonicalKey(name: string): string {
  const starts: number[] = [];
  for (let i = 0; name.charCodeAt(i) !== 0 && i < name.length; i += name.charCodeAt(i) + 1) starts.push(i);
  let key = '';
  for (let k = starts.length - 1; k >= 0; k--) {
    const at = starts[k]!;
    const len = name.charCodeAt(at);
    let label = '';
    for (let j = at + 1; j <= at + len; j++) label += String.fromCharCode(name.charCodeAt(j) + 1);
    key += label + '\0';
  }
  return key;
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
