// Secrets (Redis URL, --zones-git URL with credentials, webhook URLs, the
// admin token) can come from a flag, a file or an environment variable, so
// that none has to sit on the command line, where `ps` shows it to every
// local user. Every value found is registered with redact.ts.
import { readTextFile } from '../zones/readfile.js';
import { registerSecret, registerSecretUrl } from './redact.js';

/** A secret file is a few lines; anything bigger is a wrong path. */
const MAX_SECRET_FILE = 64 * 1024;

export interface SecretSource {
  /** The flag's value, e.g. --redis. */
  flag?: string | undefined;
  /** A file holding the value, e.g. --redis-file (its trailing newline is dropped). */
  file?: string | undefined;
  /** Environment variables to look at, first one set wins. */
  env: string[];
  /** The flag's name, for messages. */
  name: string;
}

/** The non-empty lines of a secret file (a small regular file), without comments. */
function fileLines(path: string, what: string): string[] {
  let text: string;
  try {
    text = readTextFile(path, { maxBytes: MAX_SECRET_FILE });
  } catch (e) {
    // The code or our refusal only: a system message could quote the path's content.
    throw new Error(`${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

/** Reads a secret file: its first non-empty line. */
export function readSecretFile(path: string, what: string): string {
  const value = fileLines(path, what)[0];
  if (!value) throw new Error(`${what} ${path} is empty`);
  return value;
}

/** The value from the flag, else the file, else the environment; undefined when none is given. */
export function secretValue(src: SecretSource, isUrl = false): string | undefined {
  if (src.flag !== undefined && src.file !== undefined) throw new Error(`give ${src.name} or ${src.name}-file, not both`);
  let v = src.flag;
  if (v === undefined && src.file !== undefined) v = readSecretFile(src.file, `${src.name}-file`);
  for (const name of src.env) v ??= process.env[name] || undefined;
  if (isUrl) registerSecretUrl(v);
  else registerSecret(v);
  return v;
}

/**
 * Several values (webhook URLs): every flag, every non-empty line of the
 * file, and the environment variable split on white space.
 */
export function secretList(flags: string[] | undefined, file: string | undefined, env: string, name: string): string[] {
  const out = [...(flags ?? [])];
  if (file !== undefined) out.push(...fileLines(file, `${name}-file`));
  if (!flags?.length && file === undefined) out.push(...(process.env[env] ?? '').split(/\s+/).filter(Boolean));
  for (const v of out) registerSecret(v);
  return out;
}
