// A CSK rollover validated by BIND's validator at every phase. The same two
// keys are given the times `keys roll` would write, shifted so that the real
// clock falls in each phase in turn; the zone a secondary would receive by
// transfer at that moment (server/xfr/signed.ts) is served by NSD and delv
// asks it, once with the old key as trust anchor (a resolver whose DS set
// still names the old key) and once with the new one. The old anchor must
// validate until the old key stops signing, the new anchor from the moment
// the new key signs: the overlap the RFC 7583 timings are there to give.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKey, type ZoneKey } from '../../server/dnssec/keys.js';
import { planRollover } from '../../server/dnssec/rollover.js';
import { ZoneSigner } from '../../server/dnssec/signer.js';
import { typeName } from '../../server/wire/constants.js';
import { nameFromText, nameToText } from '../../server/wire/names.js';
import { transferOrder } from '../../server/xfr/axfr.js';
import { signedTransferBody } from '../../server/xfr/signed.js';
import { signedZone } from '../../server/engine/signed.js';
import { loadZonesDir } from '../../server/zones/load.js';
import type { Rdata } from '../../server/zones/rdata.js';
import { needTool } from '../support/tools.js';
import { startNsd } from '../support/nsd.js';
import { delvAll, writeAnchorFile } from '../support/delv.js';

const REPO = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const TIMINGS = { propagation: 60, dnskeyTtl: 60, maxZoneTtl: 120, dsTtl: 60, registrarDelay: 60 };

test('a CSK rollover validates in delv at every phase, with the old key as anchor until it retires and the new one from its activation', async (t) => {
  const delvPath = needTool(t, 'delv', 'bind9-dnsutils');
  const nsdPath = delvPath && needTool(t, 'nsd');
  if (!delvPath || !nsdPath) return;
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-dnssec-roll-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(REPO, 'zones'), join(dir, 'zones'), { recursive: true });
  const loaded = loadZonesDir(join(dir, 'zones'));
  const zone = loaded.zones.find((z) => nameToText(z.origin) === 'example.com.')!;
  const origin = nameFromText('example.com.');
  const now = Math.floor(Date.now() / 1000);
  const oldKey = createKey(join(dir, 'keys'), origin, 13, now - 100_000);
  const newKey = createKey(join(dir, 'keys'), origin, 13, now - 100_000);
  mkdirSync(join(dir, 'old'));
  mkdirSync(join(dir, 'new'));
  const oldAnchor = writeAnchorFile(join(dir, 'old'), 'example.com', oldKey.dnskey);
  const newAnchor = writeAnchorFile(join(dir, 'new'), 'example.com', newKey.dnskey);

  const span = planRollover(0, TIMINGS);
  // Moments within each phase, as offsets from the rollover's start.
  const phases: { name: string; at: number; oldValid: boolean; newValid: boolean }[] = [
    { name: 'before the rollover', at: -30, oldValid: true, newValid: false },
    { name: 'new key published', at: span.next.activate / 2, oldValid: true, newValid: false },
    { name: 'both keys sign', at: (span.next.activate + span.old.retire) / 2, oldValid: true, newValid: true },
    { name: 'old key retired, still published', at: (span.old.retire + span.old.remove) / 2, oldValid: false, newValid: true },
    { name: 'old key removed', at: span.old.remove + 30, oldValid: false, newValid: true },
  ];
  // A positive answer and a denial; delv checks the DNSKEY RRset against the anchor for both. Each run costs about a second.
  const questions: [string, string][] = [
    ['www.example.com', 'A'],
    ['nope.example.com', 'A'],
  ];
  for (const phase of phases) {
    // Put the real clock `phase.at` seconds after the rollover started.
    const rollAt = now - Math.round(phase.at);
    const plan = planRollover(rollAt, TIMINGS);
    const keys: ZoneKey[] = [
      { ...oldKey, timing: { ...oldKey.timing, publish: rollAt - 100_000, activate: rollAt - 100_000, retire: plan.old.retire, remove: plan.old.remove } },
      { ...newKey, timing: { ...newKey.timing, ...plan.next } },
    ];
    // A compiled zone and the signer give every record its text (Rdata); the body is typed by what the engine reads.
    const signer = new ZoneSigner(origin, keys, { clock: () => now });
    const body = signedTransferBody(signedZone(zone, signer), transferOrder(zone), now);
    const text = [zone.soa, ...body].flatMap((s) => s.rdata.map((r) => `${nameToText(s.owner)} ${s.ttl} IN ${typeName(s.type)} ${(r as Rdata).text}`)).join('\n') + '\n';
    const nsd = await startNsd({ 'example.com': text }, { nsdPath });
    try {
      for (const [which, anchorFile, want] of [['old', oldAnchor, phase.oldValid], ['new', newAnchor, phase.newValid]] as const) {
        const target = { delvPath, host: nsd.host, port: nsd.port, zone: 'example.com', anchorFile };
        const results = await delvAll(target, questions);
        results.forEach((r, i) => {
          const ok = r.fullyValidated || r.negativeValidated;
          assert.equal(ok, want, `${phase.name}, ${which} key as anchor, ${questions[i]!.join(' ')}: expected ${want ? '' : 'no '}validation\n${r.output}`);
        });
      }
    } finally {
      await nsd.stop();
    }
  }
});
