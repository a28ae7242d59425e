// Bounds on what one zones directory may cost to read: error count and
// nesting depth (the file size cap is readfile.ts's, --max-zone-file-size).
// The yaml package (and any recursive descent) overflows the stack on a few
// thousand nested `[` or indentation levels, so a file is scanned for depth
// before any parser sees it. A zone needs about five levels; anything near
// the limit is an attack or an accident.
import type { ZoneError } from './model.js';

/** Deepest nesting (flow brackets plus block indentation levels) a file may have. */
export const MAX_NESTING = 100;
/** Errors kept per file, and for a whole directory; the rest are counted in one last message. */
export const MAX_ERRORS_PER_FILE = 100;
export const MAX_ERRORS_TOTAL = 1000;

/**
 * The first place where `text` nests deeper than `limit`, or undefined.
 * A linear scan that knows just enough YAML to skip comments and quoted
 * scalars; brackets inside a block-context plain scalar (`a[b`) do not count.
 * Block scalars (`|`, `>`) are scanned like any other lines, so one holding
 * over MAX_NESTING unbalanced `[` at a line start would be refused too.
 */
export function nestingTooDeep(text: string, file: string, limit = MAX_NESTING): ZoneError | undefined {
  let flow = 0;
  const indents: number[] = [];
  let line = 1;
  let lineStart = 0;
  let atLineStart = true;
  // The last character that was not a space on this line ('\n' at the start).
  let last = 0x0a;
  let prev = 0x0a;
  const n = text.length;
  const fail = (i: number, what: string): ZoneError => ({ file, line, col: i - lineStart + 1, message: `${what} nested more than ${limit} levels deep; a zone needs a handful` });
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      line++;
      lineStart = i + 1;
      atLineStart = true;
      last = prev = 0x0a;
      continue;
    }
    if (atLineStart && c !== 0x20) {
      atLineStart = false;
      if (flow === 0 && c !== 0x23 && c !== 0x0d) {
        const indent = i - lineStart;
        while (indents.length && indents[indents.length - 1]! >= indent) indents.pop();
        indents.push(indent);
        if (indents.length > limit) return fail(i, 'indentation');
      }
    }
    const scalarStart = last === 0x0a || (flow > 0 && (last === 0x5b || last === 0x7b || last === 0x2c)) || ((last === 0x3a || last === 0x2d || last === 0x3f) && (prev === 0x20 || prev === 0x09));
    if (c === 0x23 && (prev === 0x20 || prev === 0x09 || prev === 0x0a)) {
      const end = text.indexOf('\n', i);
      if (end < 0) break;
      i = end - 1;
      continue;
    }
    if ((c === 0x27 || c === 0x22) && scalarStart) {
      // Quoted scalar: skip to its end (it may span lines).
      let j = i + 1;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if (d === 0x0a) { line++; lineStart = j + 1; }
        if (c === 0x22 && d === 0x5c) { j++; continue; }
        if (d === c) {
          if (c === 0x27 && text.charCodeAt(j + 1) === 0x27) { j++; continue; }
          break;
        }
      }
      i = j;
      last = prev = c;
      continue;
    }
    if (c === 0x5b || c === 0x7b) {
      if (flow > 0 || scalarStart) {
        if (++flow > limit) return fail(i, 'brackets');
      }
    } else if (c === 0x5d || c === 0x7d) {
      if (flow > 0) flow--;
    } else if (flow === 0 && (c === 0x2d || c === 0x3f) && scalarStart && (i + 1 === n || text.charCodeAt(i + 1) === 0x20)) {
      // "- - - x": each dash on one line opens a block sequence one level deeper.
      indents.push(i - lineStart);
      if (indents.length > limit) return fail(i, 'block sequences');
    }
    if (c !== 0x20 && c !== 0x09) last = c;
    prev = c;
  }
  return undefined;
}

/**
 * Appends `more` to `into` one by one (never `push(...more)`, which throws on a
 * huge array), keeping at most `cap` in all. Returns how many were dropped.
 */
export function appendErrors(into: ZoneError[], more: readonly ZoneError[], cap = MAX_ERRORS_TOTAL): number {
  let dropped = 0;
  for (const e of more) {
    if (into.length < cap) into.push(e);
    else dropped++;
  }
  return dropped;
}

/** Caps one file's errors, ending with a line that says how many more there were. */
export function capErrors(errors: ZoneError[], file: string, cap = MAX_ERRORS_PER_FILE): ZoneError[] {
  if (errors.length <= cap) return errors;
  const kept = errors.slice(0, cap);
  kept.push({ file, line: errors[cap]!.line, col: errors[cap]!.col, message: `${errors.length - cap} more errors in this file not shown` });
  return kept;
}
