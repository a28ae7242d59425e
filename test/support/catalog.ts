// Builds a Catalog straight from YAML text, for tests of the pure engine.
import { parseZoneYaml } from '../../server/zones/parse.js';
import { validateZone } from '../../server/zones/validate.js';
import { compileZone, type Zone } from '../../server/zones/compile.js';
import { formatError } from '../../server/zones/model.js';
import { Catalog } from '../../server/engine/catalog.js';

export function catalogFrom(files: Record<string, string>): Catalog {
  return new Catalog(zonesFrom(files));
}

/** Compiled zones from YAML texts keyed by origin; throws on any error. */
export function zonesFrom(files: Record<string, string>): Zone[] {
  return Object.entries(files).map(([origin, text]) => {
    const r = parseZoneYaml(text, `${origin}.yaml`, origin);
    const errors = [...r.errors, ...(r.zone ? validateZone(r.zone) : [])];
    if (errors.length || !r.zone) throw new Error(errors.map(formatError).join('\n'));
    return compileZone(r.zone);
  });
}
