// The signers of the zones being loaded: for every zone whose file says
// `dnssec:`, its keys from the key directory and a ZoneSigner over them.
// Built on every (re)load, so a changed key set (a new key, a rollover step)
// takes effect with the zones; one signature cache is shared by all zones
// and all loads, and its entries carry the key set, so nothing stale is used.
// A rekey builds again from the build being served: a zone whose keys and
// phases are as they were keeps its signer and its served form, so the cost
// of a step is the zones it moves, not every zone served.
import { nameToText, type Name } from '../wire/names.js';
import type { ZoneLike } from '../zones/image/adapter.js';
import type { ZoneError } from '../zones/model.js';
import { ALGORITHMS, activeKeys, loadZoneKeys, type ZoneKey } from '../dnssec/keys.js';
import type { SigCache } from '../dnssec/cache.js';
import { ZoneSigner } from '../dnssec/signer.js';
import { ValidityWindow } from '../dnssec/window.js';
import { periodOffset, resignPeriod, serialStep, servedSerial } from '../dnssec/serial.js';
import { withServedSerial } from '../engine/served-serial.js';
import { keyStateAt, type KeyState } from '../dnssec/rollover.js';

export interface SignerBuild {
  signers: Map<Name, ZoneSigner>;
  /** Load errors: a zone that asks for signing and cannot be signed. */
  errors: ZoneError[];
  /** Worth an operator's eye, not stopping the load (loose key file modes, stray files). */
  warnings: string[];
  /** Per signed zone, which keys are published, active and retired now (keyPhases): what a rollover step changes. */
  phases: Map<Name, string>;
  /** Per signed zone, how far its served SOA serial is ahead of the file's (dnssec/serial.ts). */
  serialSteps: Map<Name, number>;
  /** The zones as they are to be served: signed ones with their served serial. */
  served: ZoneLike[];
  /** The earliest key phase change or serial step after now among these zones (seconds), for the key timer. */
  nextChange: number | undefined;
  /** Per signed zone, the keys its signer was made from: a rekey on the clock needs no file to find the next phases. */
  keys: Map<Name, readonly ZoneKey[]>;
}

/** A zone's keys as loadZoneKeys gives them (and the errors it throws). */
export type KeySource = (origin: Name) => { keys: readonly ZoneKey[]; warnings: readonly string[] };

export interface SignerOptions {
  /** `serve --keys` / PULSEDNS_KEYS; undefined when not given. */
  keysDir: string | undefined;
  cache: SigCache;
  window?: ValidityWindow;
  /** Seconds since 1970; injectable for tests. */
  clock?: () => number;
  /** Where a zone's keys come from (a KeyDirectory, or the keys in memory); loadZoneKeys from keysDir when absent. */
  keysOf?: KeySource;
  /** The build being served: a zone with the same keys (the same array) in the same phases keeps its signer. */
  previous?: { keys: ReadonlyMap<Name, readonly ZoneKey[]>; phases: ReadonlyMap<Name, string>; signers: ReadonlyMap<Name, ZoneSigner> };
}

/** The window a ZoneSigner uses when given none. */
const DEFAULT_WINDOW = new ValidityWindow();

/** The command that makes the key a zone lacks; serve itself never makes keys. */
export function generateHint(origin: Name, keysDir: string, algorithm: number): string {
  const zone = nameToText(origin).replace(/\.$/, '') || '.';
  const alg = algorithm === 13 ? '' : ` --algorithm ${ALGORITHMS.get(algorithm as 13 | 15)?.keyword ?? algorithm}`;
  return `pulsedns keys generate ${zone} --keys ${keysDir}${alg}`;
}

/** What a process that signs nothing (`pulsedns probe`) serves: the zones as they are. */
export function unsigned(zones: readonly ZoneLike[]): SignerBuild {
  return { signers: new Map(), errors: [], warnings: [], phases: new Map(), serialSteps: new Map(), served: [...zones], nextChange: undefined, keys: new Map() };
}

export function buildSigners(zones: readonly ZoneLike[], o: SignerOptions): SignerBuild {
  const out = unsigned(zones);
  const now = (o.clock ?? ((): number => Math.floor(Date.now() / 1000)))();
  for (const zone of zones) {
    if (!zone.dnssec) continue;
    const fail = (message: string): void => void out.errors.push({ file: zone.file, line: 1, col: 1, message });
    const zoneText = nameToText(zone.origin);
    const want = zone.dnssec.algorithm;
    if (o.keysDir === undefined) {
      fail(`zone ${zoneText} asks for signing (dnssec:) but serve was given no key directory: add --keys DIR (or PULSEDNS_KEYS), with a key made by \`${generateHint(zone.origin, 'DIR', want)}\``);
      continue;
    }
    let keys;
    try {
      const loaded = o.keysOf ? o.keysOf(zone.origin) : loadZoneKeys(o.keysDir, zone.origin);
      keys = loaded.keys;
      out.warnings.push(...loaded.warnings);
    } catch (e) {
      fail(`zone ${zoneText}: ${(e as Error).message}`);
      continue;
    }
    const active = activeKeys(keys, now);
    if (!active.some((k) => k.algorithm === want)) {
      const have = active.length ? ` (active keys: ${active.map((k) => `${k.algorithm}/${k.tag}`).join(', ')})` : '';
      fail(`zone ${zoneText} asks for signing with ${ALGORITHMS.get(want)?.mnemonic ?? want} but ${o.keysDir} holds no active key of it${have}: run \`${generateHint(zone.origin, o.keysDir, want)}\``);
      continue;
    }
    const phases = keyPhases(keyStateAt(keys, now));
    out.phases.set(zone.origin, phases);
    out.keys.set(zone.origin, keys);
    // Every key phase change is also a serial step, so the step's next change covers both.
    const period = resignPeriod(o.window ?? DEFAULT_WINDOW);
    const step = serialStep(keys, period, now, periodOffset(zone.origin, period));
    out.serialSteps.set(zone.origin, step.step);
    if (out.nextChange === undefined || step.next < out.nextChange) out.nextChange = step.next;
    // A signer depends on its keys and on which of them publish and sign, nothing else that moves.
    const kept = o.previous?.keys.get(zone.origin) === keys && o.previous.phases.get(zone.origin) === phases ? o.previous.signers.get(zone.origin) : undefined;
    if (kept) {
      out.signers.set(zone.origin, kept);
      continue;
    }
    try {
      out.signers.set(zone.origin, new ZoneSigner(zone.origin, keys, { cache: o.cache, ...(o.window ? { window: o.window } : {}), ...(o.clock ? { clock: o.clock } : {}) }));
    } catch (e) {
      fail(`zone ${zoneText}: ${(e as Error).message}`);
    }
  }
  out.served = zones.map((z) => {
    const step = out.serialSteps.get(z.origin);
    return step === undefined ? z : servedAt(z, servedSerial(z.serial, step));
  });
  return out;
}

/**
 * The last served form made of each compiled zone. Handing out the same object
 * while the serial stays lets what is kept per served zone (its signed parts in
 * the catalog, a transfer's signed body) outlive a rekey that moved other zones.
 */
const servedForms = new WeakMap<ZoneLike, ZoneLike>();

function servedAt(zone: ZoneLike, serial: number): ZoneLike {
  const known = servedForms.get(zone);
  if (known?.serial === serial) return known;
  const served = withServedSerial(zone, serial);
  servedForms.set(zone, served);
  return served;
}

/** `published 1234,5678; active 1234; retired -`: the key tags in each phase, for comparison and the log. */
export function keyPhases(state: KeyState): string {
  const tags = (ks: readonly ZoneKey[]): string => (ks.length ? ks.map((k) => k.tag).sort((a, b) => a - b).join(',') : '-');
  return `published ${tags(state.published)}; active ${tags(state.active)}; retired ${tags(state.retired)}`;
}

/** Zones served signed before and after whose key phases differ, with both descriptions. */
export function phaseChanges(before: ReadonlyMap<Name, string>, after: ReadonlyMap<Name, string>): { zone: Name; from: string; to: string }[] {
  const out: { zone: Name; from: string; to: string }[] = [];
  for (const [zone, to] of after) {
    const from = before.get(zone);
    if (from !== undefined && from !== to) out.push({ zone, from, to });
  }
  return out;
}
