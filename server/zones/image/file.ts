// Handing an image to other processes: the compiler's owner writes it once
// (to a temporary name, then renamed, so a reader never sees half a file) and
// each serving process reads it into one buffer and opens it. A process
// started later (a respawned worker) reads the last good image, not the zone
// files, so it serves exactly what the others serve.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import { poolsFromText } from '../source.js';
import type { PoolSet } from '../../pools/model.js';
import { ZoneImage, type OpenOptions } from './view.js';
import { H, HEADER_BYTES, ImageError } from './format.js';

export function writeImageFile(path: string, image: ArrayBuffer): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, new Uint8Array(image));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Reads and opens an image file (checksum verified); throws ImageError or a file error. */
export function readImageFile(path: string, opts: OpenOptions = {}): ZoneImage {
  let bytes: Uint8Array = readFileSync(path);
  // Small files may come from Buffer's shared pool at any offset; the tables need 8-byte alignment.
  if (bytes.byteOffset % 8 !== 0) bytes = new Uint8Array(bytes);
  return new ZoneImage(bytes, opts);
}

/** The pools the image was built with, rebuilt from the pools file it carries. */
export function imagePools(img: ZoneImage): PoolSet {
  if (img.meta.poolsText === undefined) return { pools: new Map(), checks: new Map() };
  return poolsFromText(img.meta.poolsText, img.meta.poolsFile ?? '_pools.yaml').pools;
}

/** Bytes checked per turn of the event loop: about a millisecond of CRC32 (4 MB took 12-14 ms on a busy 2-core VM), so a query waits at most that long. */
const VERIFY_SLICE = 512 << 10;

/**
 * readImageFile for a process that is answering queries: the read happens off
 * the loop and the checksum in slices, yielding between them, so opening a
 * 70 MB image delays no query by more than a slice.
 */
export async function readImageFileAsync(path: string): Promise<ZoneImage> {
  let bytes: Uint8Array = await readFile(path);
  if (bytes.byteOffset % 8 !== 0) bytes = new Uint8Array(bytes);
  if (bytes.length < HEADER_BYTES) throw new ImageError('not a zone image: too short');
  let crc = 0;
  for (let at = HEADER_BYTES; at < bytes.length; at += VERIFY_SLICE) {
    crc = crc32(bytes.subarray(at, Math.min(bytes.length, at + VERIFY_SLICE)), crc);
    await yieldTurn();
  }
  const stored = new DataView(bytes.buffer, bytes.byteOffset).getUint32(H.crc * 4, true);
  if (crc !== stored) throw new ImageError('zone image: checksum mismatch');
  return new ZoneImage(bytes, { verify: false });
}
