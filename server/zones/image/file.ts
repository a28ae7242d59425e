// Handing an image to other processes: the compiler's owner writes it once
// (to a temporary name, then renamed, so a reader never sees half a file) and
// each serving process reads it into one buffer and opens it. A process
// started later (a respawned worker) reads the last good image, not the zone
// files, so it serves exactly what the others serve.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { poolsFromText } from '../source.js';
import type { PoolSet } from '../../pools/model.js';
import { ZoneImage, type OpenOptions } from './view.js';

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
