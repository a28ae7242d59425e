// Where the compiled zone image lives while a server runs, and how its
// processes hear of a new one. The directory is private (0700, made by
// mkdtemp) so no other user can swap the file the workers read; it is
// removed when the server stops.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ImageDir {
  /** The file every serving process reads: always the last good image. */
  path: string;
  remove(): void;
}

/** `base`: --state-dir, else $RUNTIME_DIRECTORY (systemd), else the system temp dir. */
export function makeImageDir(base = process.env.RUNTIME_DIRECTORY || tmpdir()): ImageDir {
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(base, 'pulsedns-'));
  return {
    path: join(dir, 'zones.img'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Primary -> worker: a new image is at `path`. */
export interface ImageMessage {
  pulsedns: 'image';
  path: string;
  generation: number;
}

export function isImageMessage(m: unknown): m is ImageMessage {
  const x = m as Partial<ImageMessage> | null;
  return x?.pulsedns === 'image' && typeof x.path === 'string' && typeof x.generation === 'number';
}

/** A worker is forked with the image of the moment in its environment, so it never reads the zone files. */
export const IMAGE_ENV = 'PULSEDNS_IMAGE';
export const GENERATION_ENV = 'PULSEDNS_IMAGE_GENERATION';

export function imageFromEnv(env: NodeJS.ProcessEnv = process.env): { path: string; generation: number } | undefined {
  const path = env[IMAGE_ENV];
  const generation = Number(env[GENERATION_ENV]);
  return path && Number.isInteger(generation) && generation > 0 ? { path, generation } : undefined;
}

/**
 * Worker -> primary: "which image is current?", answered with an
 * ImageMessage. A worker forked while the first compile still runs (no image
 * in its environment) asks before it can serve (`imageFromPrimary`), and
 * every worker asks once its lasting image handler is registered
 * (`askForCurrentImage`); each time only once it listens for the answer, so
 * an image published before it could hear is not missed.
 */
export interface ImageRequest {
  pulsedns: 'image-request';
}

export function isImageRequest(m: unknown): m is ImageRequest {
  return (m as Partial<ImageRequest> | null)?.pulsedns === 'image-request';
}

/**
 * In a worker, once its lasting image handler listens: asks which image is
 * current. One published while the worker was starting (forked with the
 * generation before it in its environment, or just after its first image
 * came) may have reached no listener and been lost; the answer names it,
 * and the `image-installed` that follows ends the rollOut turn waiting on
 * this worker. When nothing was published meanwhile, the answer is the
 * image already served, and installing it is a no-op.
 */
export function askForCurrentImage(): void {
  // A send on a closed channel throws; a primary already gone has no image to name.
  if (!process.connected) return;
  process.send?.({ pulsedns: 'image-request' } satisfies ImageRequest, (e: Error | null) => void e);
}

/**
 * A worker started before there was an image: waits for the primary to name
 * one. Nothing is served meanwhile. A primary that goes away first (its
 * compile failed and it reports that itself) ends this worker quietly.
 */
export function imageFromPrimary(): Promise<{ path: string; generation: number }> {
  return new Promise((resolve) => {
    const onGone = (): never => process.exit(0);
    // Already gone: no 'disconnect' will come, and a send would throw.
    if (!process.connected) onGone();
    const onMessage = (m: unknown): void => {
      if (!isImageMessage(m)) return;
      process.off('message', onMessage);
      process.off('disconnect', onGone);
      resolve({ path: m.path, generation: m.generation });
    };
    process.on('message', onMessage);
    process.once('disconnect', onGone);
    askForCurrentImage();
  });
}

/** Worker -> primary: the image of `generation` is installed (or refused); the next worker may start on it. */
export interface ImageInstalled {
  pulsedns: 'image-installed';
  generation: number;
}

export function isImageInstalled(m: unknown): m is ImageInstalled {
  const x = m as Partial<ImageInstalled> | null;
  return x?.pulsedns === 'image-installed' && typeof x.generation === 'number';
}

/** In a worker: installs an announced image, then says so (the primary is waiting to tell the next worker). */
export async function installAnnounced(zones: { install(path: string, generation: number): Promise<boolean> }, m: ImageMessage): Promise<void> {
  await zones.install(m.path, m.generation);
  if (!process.connected) return;
  process.send?.({ pulsedns: 'image-installed', generation: m.generation } satisfies ImageInstalled, (e: Error | null) => void e);
}

/** How long the primary waits for one worker to install an image before it tells the next anyway. */
export const INSTALL_TURN_MS = 10_000;

/** The workers a reload is still being handed to (reload.ts waits for it before asking what they serve). */
let rolling: Promise<void> = Promise.resolve();
/** The generation of the newest round: an older round stops at its next worker. */
let latest = 0;

export function rolloutDone(): Promise<void> {
  return rolling;
}

interface Announced {
  isConnected(): boolean;
  on(event: 'message', cb: (m: unknown) => void): unknown;
  off(event: 'message', cb: (m: unknown) => void): unknown;
  once(event: 'exit', cb: () => void): unknown;
  off(event: 'exit', cb: () => void): unknown;
}

/**
 * A new image for workers that are serving: one worker at a time, each told
 * once the one before has it installed. Installing is the one moment a
 * worker's event loop is busy for a while (reading 70 MB at a million
 * records, its checksum, the collection that frees the old image); the
 * workers read the same socket, so while one installs the others answer
 * what it would have (docs/performance.md: reload p99). A newer image ends
 * an older round; a worker that does not answer in INSTALL_TURN_MS is passed.
 */
export function rollOut<W extends Announced>(workers: Iterable<W | undefined>, msg: ImageMessage, send: (w: W, msg: ImageMessage) => void, turnMs = INSTALL_TURN_MS): Promise<void> {
  latest = msg.generation;
  const round = (async (): Promise<void> => {
    for (const w of workers) {
      if (!w?.isConnected()) continue;
      if (latest !== msg.generation) return;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          w.off('message', onMessage);
          w.off('exit', done);
          resolve();
        };
        const onMessage = (m: unknown): void => {
          if (isImageInstalled(m) && m.generation >= msg.generation) done();
        };
        const timer = setTimeout(done, turnMs);
        w.on('message', onMessage);
        w.once('exit', done);
        send(w, msg);
      });
    }
  })();
  rolling = round;
  return round;
}
