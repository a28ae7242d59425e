// Builds a Catalog straight from YAML text, for tests of the pure engine.
import { parseZoneYaml } from '../../server/zones/parse.js';
import { validateZone } from '../../server/zones/validate.js';
import { compileZone } from '../../server/zones/compile.js';
import { formatError } from '../../server/zones/model.js';
import { Catalog } from '../../server/engine/catalog.js';

export function catalogFrom(files: Record<string, string>): Catalog {
  const zones = Object.entries(files).map(([origin, text]) => {
    const r = parseZoneYaml(text, `${origin}.yaml`, origin);
    const errors = [...r.errors, ...(r.zone ? validateZone(r.zone) : [])];
    if (errors.length || !r.zone) throw new Error(errors.map(formatError).join('\n'));
    return compileZone(r.zone);
  });
  return new Catalog(zones);
}
