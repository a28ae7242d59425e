// `pulsedns check [DIR|FILE ...]`: every path read as the server would read
// it (a directory as a zones directory, _pools.yaml as pools, any other
// .yaml as one zone with the _pools.yaml beside it), then linted. The CLI
// only prints the report and exits with its code.
import { basename, dirname } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { POOLS_FILE } from '../pools/model.js';
import { formatError, type ZoneError, type ZoneSource } from './model.js';
import { loadZonesDir, readPools, readZoneFile, zoneFiles } from './load.js';
import { poolsFromText } from './source.js';
import { DEFAULT_READ, readFailure, readTextFile, type ReadPolicy } from './readfile.js';
import { lintZones } from './lint.js';

export interface CheckReport {
  errors: ZoneError[];
  warnings: ZoneError[];
  /** Zone files read. */
  zones: number;
  /** _pools.yaml files given by name. */
  poolFiles: number;
}

/** Position-less problems (a directory, not a line) use line 0. */
function whole(file: string, message: string): ZoneError {
  return { file, line: 0, col: 0, message };
}

/** `read`: the size cap (--max-zone-file-size); each file must stay inside its own directory, as when served. */
export function checkPaths(paths: readonly string[], read: ReadPolicy = DEFAULT_READ): CheckReport {
  const report: CheckReport = { errors: [], warnings: [], zones: 0, poolFiles: 0 };
  const sources: ZoneSource[] = [];
  const poolsSeen = new Set<string>();
  const poolErrors = (dir: string): void => {
    // A broken _pools.yaml beside a zone would otherwise show only as "no pool named ...".
    if (poolsSeen.has(dir)) return;
    poolsSeen.add(dir);
    report.errors.push(...readPools(dir, read).errors);
  };
  for (const path of paths) {
    const isDir = existsSync(path) && statSync(path).isDirectory();
    if (!isDir && basename(path) === POOLS_FILE) {
      poolsSeen.add(dirname(path));
      report.poolFiles++;
      let text: string;
      try {
        text = readTextFile(path, { ...read, root: read.root ?? dirname(path) });
      } catch (e) {
        report.errors.push(whole(path, readFailure(e)));
        continue;
      }
      report.errors.push(...poolsFromText(text, path).errors);
    } else if (!isDir && /\.ya?ml$/i.test(path)) {
      report.zones++;
      poolErrors(dirname(path));
      const r = readZoneFile(path, undefined, read);
      report.errors.push(...r.errors);
      if (r.zone) sources.push(r.zone);
    } else {
      let files: string[];
      try {
        files = zoneFiles(path);
      } catch (e) {
        report.errors.push(whole(path, `cannot read zones directory: ${(e as Error).message}`));
        continue;
      }
      if (files.length === 0) {
        report.errors.push(whole(path, `no zone files found in ${path} (zone files are named after their zone: example.com.yaml)`));
        continue;
      }
      poolsSeen.add(path);
      report.zones += files.length;
      const r = loadZonesDir(path, new Map(), { read });
      report.errors.push(...r.errors);
      sources.push(...r.zones.map((z) => z.source));
    }
  }
  const lint = lintZones(sources);
  report.errors.push(...lint.errors);
  report.warnings.push(...lint.warnings);
  return report;
}

/** What `pulsedns check` prints, and its exit code (1 on any error; warnings alone pass). */
export function formatCheckReport(r: CheckReport): { text: string; exitCode: number } {
  const line = (e: ZoneError, warn: boolean): string => {
    const message = (warn ? 'warning: ' : '') + e.message;
    return e.line === 0 ? `${e.file}: ${message}` : formatError({ ...e, message });
  };
  const lines = [...r.errors.map((e) => line(e, false)), ...r.warnings.map((e) => line(e, true))];
  const warned = r.warnings.length ? `, ${r.warnings.length} warning${r.warnings.length === 1 ? '' : 's'}` : '';
  if (r.errors.length) lines.push(`${r.errors.length} error${r.errors.length === 1 ? '' : 's'}${warned}`);
  else {
    const what = [r.zones || !r.poolFiles ? `${r.zones} zone${r.zones === 1 ? '' : 's'}` : '', r.poolFiles ? `${r.poolFiles} pools file${r.poolFiles === 1 ? '' : 's'}` : ''];
    lines.push(`ok: ${what.filter(Boolean).join(' and ')} valid${warned}`);
  }
  return { text: lines.join('\n') + '\n', exitCode: r.errors.length ? 1 : 0 };
}

