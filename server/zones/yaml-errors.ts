// YAML syntax errors as file:line:col, for zone files and _pools.yaml alike.
// The yaml package reports a position offset on every error (its `linePos`
// is only filled in with prettyErrors, which we turn off), and one mistake
// often sets off several follow-on errors: after the first, only mistakes
// that stand on their own (a tab, a reserved character, a repeated key) are
// reported, each once, since a broken structure makes the rest guesswork.
import type { LineCounter, YAMLError } from 'yaml';
import type { ZoneError } from './model.js';

/** Error codes that do not follow from an earlier mistake. */
const LOCAL = new Set<string>(['TAB_AS_INDENT', 'BAD_SCALAR_START', 'DUPLICATE_KEY', 'BAD_DQ_ESCAPE', 'BAD_ALIAS', 'TAG_RESOLVE_FAILED']);

/** Each syntax mistake once, at its real line and column. */
export function yamlSyntaxErrors(errors: readonly YAMLError[], lc: LineCounter, text: string, file: string): ZoneError[] {
  const out: ZoneError[] = [];
  let lastLine = 0;
  for (const e of errors) {
    let off = Math.min(e.pos[0], text.length);
    // An indentation error points at the start of the line: show where the content begins.
    while (off < text.length && text[off] === ' ') off++;
    const p = lc.linePos(off);
    // A later report on the same or an earlier line is the parser stumbling over the first one.
    if (p.line <= lastLine || (out.length > 0 && !LOCAL.has(e.code))) continue;
    lastLine = p.line;
    out.push({ file, line: p.line, col: p.col, message: `YAML syntax: ${e.message.split('\n')[0]}${hint(e.code, text, off)}` });
  }
  return out;
}

function hint(code: string, text: string, off: number): string {
  if (code === 'TAB_AS_INDENT') return ' (indent with spaces)';
  if (code === 'BAD_SCALAR_START' && (text[off] === '@' || text[off] === '*')) return ` (quote it: '${text[off]}')`;
  return '';
}
