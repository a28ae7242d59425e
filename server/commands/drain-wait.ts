// `drain --wait`: sit out the TTL that answers naming the member were handed
// out with, so that no resolver can still hold one when the command returns.
import type { Io } from './program.js';

export async function waitForResolvers(address: string, seconds: number, io: Io, tty = process.stdout.isTTY === true): Promise<void> {
  if (seconds <= 0) {
    io.out(`no answer naming ${address} can still be cached; it is safe to start\n`);
    return;
  }
  const until = Date.now() + seconds * 1000;
  const line = (left: number): string => `waiting ${left}s for resolvers to drop answers naming ${address} (until ${new Date(until).toISOString()})`;
  // One line, rewritten in place on a terminal; a log or a pipe gets it once.
  io.out(tty ? line(seconds) : line(seconds) + '\n');
  for (;;) {
    const left = Math.ceil((until - Date.now()) / 1000);
    if (left <= 0) break;
    await new Promise((r) => setTimeout(r, Math.min(1000, until - Date.now())));
    if (tty) io.out(`\r\x1b[K${line(Math.max(0, Math.ceil((until - Date.now()) / 1000)))}`);
  }
  io.out(`${tty ? '\r\x1b[K' : ''}done: no resolver can still hold an answer naming ${address}; it is safe to start\n`);
}
