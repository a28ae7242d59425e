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
 * Worker -> primary: "which image do I serve?". A worker forked while the
 * first compile still runs (no image in its environment) asks once it
 * listens, so an image published before it could hear is not missed.
 */
export interface ImageRequest {
  pulsedns: 'image-request';
}

export function isImageRequest(m: unknown): m is ImageRequest {
  return (m as Partial<ImageRequest> | null)?.pulsedns === 'image-request';
}

/**
 * A worker started before there was an image: waits for the primary to name
 * one. Nothing is served meanwhile. A primary that goes away first (its
 * compile failed and it reports that itself) ends this worker quietly.
 */
export function imageFromPrimary(): Promise<{ path: string; generation: number }> {
  return new Promise((resolve) => {
    const onGone = (): never => process.exit(0);
    const onMessage = (m: unknown): void => {
      if (!isImageMessage(m)) return;
      process.off('message', onMessage);
      process.off('disconnect', onGone);
      resolve({ path: m.path, generation: m.generation });
    };
    process.on('message', onMessage);
    process.once('disconnect', onGone);
    process.send?.({ pulsedns: 'image-request' } satisfies ImageRequest);
  });
}
