// The names a response holds so far and where, for compression pointers
// (RFC 1035 4.1.4). Most responses hold a handful of names, and a Map of
// suffix strings cost each one a sliced string per label, a map entry per
// suffix and a new backing table on every clear: about a tenth of the time of
// a signed NXDOMAIN besides its signature. So the first LINEAR suffixes sit in
// a table of (name, label start) pairs compared in place, which allocates
// nothing per response; a response with more names (a large referral, a
// transfer message) moves them into a Map, so lookups stay cheap at any size.
import type { Name } from './names.js';

const LINEAR = 32;

export class NameTable {
  private readonly names: Name[] = new Array<Name>(LINEAR).fill('');
  private readonly starts = new Int32Array(LINEAR);
  private readonly offsets = new Int32Array(LINEAR);
  private count = 0;
  private map: Map<Name, number> | null = null;

  /** Suffixes held: what a rollback returns to (truncate). */
  get size(): number {
    return this.map ? this.map.size : this.count;
  }

  clear(): void {
    this.count = 0;
    if (this.map) {
      this.map.clear();
      this.map = null;
    }
  }

  /** Where the suffix of `name` from label start `at` was written, or -1. */
  find(name: Name, at: number): number {
    if (this.map) return this.map.get(at === 0 ? name : name.slice(at)) ?? -1;
    const len = name.length - at;
    for (let k = 0; k < this.count; k++) {
      const n = this.names[k]!;
      const s = this.starts[k]!;
      if (n.length - s !== len) continue;
      if (n === name && s === at) return this.offsets[k]!;
      let j = 0;
      while (j < len && n.charCodeAt(s + j) === name.charCodeAt(at + j)) j++;
      if (j === len) return this.offsets[k]!;
    }
    return -1;
  }

  /** Notes the suffix of `name` from `at`, written at `offset`; the caller has seen find() miss it. */
  add(name: Name, at: number, offset: number): void {
    if (!this.map && this.count === LINEAR) {
      this.map = new Map();
      for (let k = 0; k < this.count; k++) this.map.set(this.suffix(k), this.offsets[k]!);
    }
    if (this.map) {
      const key = at === 0 ? name : name.slice(at);
      if (!this.map.has(key)) this.map.set(key, offset);
      return;
    }
    this.names[this.count] = name;
    this.starts[this.count] = at;
    this.offsets[this.count] = offset;
    this.count++;
  }

  /** Forgets what was noted since size() was `size`: everything written at `mark` or later. */
  truncate(size: number, mark: number): void {
    if (this.map) {
      if (this.map.size !== size) for (const [n, off] of this.map) if (off >= mark) this.map.delete(n);
      return;
    }
    // Suffixes are noted in the order they are written, so the later ones are the rolled-back ones.
    this.count = Math.min(this.count, size);
  }

  private suffix(k: number): Name {
    const s = this.starts[k]!;
    return s === 0 ? this.names[k]! : this.names[k]!.slice(s);
  }
}
