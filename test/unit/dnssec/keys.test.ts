// Key files: BIND-compatible pair plus timing, strict loading with errors
// that name the file and never show the secret, 0600 private files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nameFromText } from '../../../server/wire/names.js';
import { activeKeys, createKey, importKey, keyFileStem, KeyError, keyPhase, loadZoneKeys, parseAlgorithm, publishedKeys, readKey, writeTiming } from '../../../server/dnssec/keys.js';
import { dsRdata, dsText, keyTag } from '../../../server/dnssec/dnskey.js';
import { execFileSync } from 'node:child_process';
import { needTool } from '../../support/tools.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'pulsedns-keys-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const zone = nameFromText('example.com');
const NOW = 1_800_000_000;

test('createKey writes the BIND pair and a timing file; the private file is 0600', () => {
  withDir((dir) => {
    const k = createKey(dir, zone, 13, NOW);
    const stem = keyFileStem(zone, 13, k.tag);
    assert.match(stem, /^Kexample\.com\.\+013\+\d{5}$/);
    assert.deepEqual(readdirSync(dir).sort(), [`${stem}.key`, `${stem}.private`, `${stem}.timing`]);
    assert.equal(statSync(join(dir, `${stem}.private`)).mode & 0o777, 0o600);
    const keyText = readFileSync(join(dir, `${stem}.key`), 'utf8');
    assert.match(keyText, new RegExp(`^example\\.com\\. IN DNSKEY 257 3 13 [A-Za-z0-9+/=]{88}$`, 'm'));
    const priv = readFileSync(join(dir, `${stem}.private`), 'utf8');
    assert.match(priv, /^Private-key-format: v1\.3\nAlgorithm: 13 \(ECDSAP256SHA256\)\nPrivateKey: [A-Za-z0-9+/]{43}=\nCreated: 20270115080000\n/);
    assert.match(readFileSync(join(dir, `${stem}.timing`), 'utf8'), /^Activate: 20270115080000$/m);
    assert.equal(k.tag, keyTag(k.dnskey));
  });
});

test('loading gives back the same keys, sorted, and ignores other zones', () => {
  withDir((dir) => {
    const a = createKey(dir, zone, 13, NOW);
    const b = createKey(dir, zone, 15, NOW);
    createKey(dir, nameFromText('other.com'), 13, NOW);
    const { keys, warnings } = loadZoneKeys(dir, zone);
    assert.deepEqual(warnings, []);
    assert.deepEqual(keys.map((k) => k.tag), [a.tag, b.tag].sort((x, y) => x - y));
    const again = keys.find((k) => k.tag === a.tag)!;
    assert.deepEqual(again.dnskey, a.dnskey);
    assert.deepEqual(again.timing, a.timing);
    assert.equal(again.algorithm, 13);
    assert.deepEqual(loadZoneKeys(join(dir, 'missing'), zone), { keys: [], warnings: [] });
  });
});

test('a broken key directory is an error naming the file, never showing the secret', () => {
  const cases: [string, (stem: string, dir: string) => void, RegExp][] = [
    ['missing private file', (s, d) => rmSync(join(d, `${s}.private`)), /\.private: missing/],
    ['private of another key', (s, d) => {
      const other = createKey(d, nameFromText('other.com'), 13, NOW);
      writeFileSync(join(d, `${s}.private`), readFileSync(`${other.base}.private`));
    }, /does not belong to the public key/],
    ['truncated secret', (s, d) => {
      const p = join(d, `${s}.private`);
      writeFileSync(p, readFileSync(p, 'utf8').replace(/PrivateKey: (\S{10})\S*/, 'PrivateKey: $1=='));
    }, /PrivateKey field holds 7 bytes/],
    ['wrong tag in the file name', (s, d) => {
      for (const ext of ['key', 'private', 'timing']) renameSync(join(d, `${s}.${ext}`), join(d, `${s.replace(/\d{5}$/, '00001')}.${ext}`));
    }, /file name says key tag 1 but the key's tag is/],
    ['two records', (s, d) => {
      const p = join(d, `${s}.key`);
      writeFileSync(p, readFileSync(p, 'utf8') + readFileSync(p, 'utf8').split('\n').filter((l) => !l.startsWith(';')).join('\n'));
    }, /expected exactly one DNSKEY record, found 2/],
    ['bad timing', (s, d) => writeFileSync(join(d, `${s}.timing`), 'Activate: tomorrow\n'), /\.timing: Activate must be a UTC time/],
  ];
  for (const [what, breakIt, re] of cases) {
    withDir((dir) => {
      const k = createKey(dir, zone, 13, NOW);
      const secret = /PrivateKey: (\S+)/.exec(readFileSync(`${k.base}.private`, 'utf8'))![1]!;
      breakIt(keyFileStem(zone, 13, k.tag), dir);
      assert.throws(() => loadZoneKeys(dir, zone), (e: Error) => {
        assert.ok(e instanceof KeyError, what);
        assert.match(e.message, re, what);
        assert.match(e.message, new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), `${what}: names the file`);
        assert.ok(!e.message.includes(secret.slice(0, 12)), `${what}: no secret in the message`);
        return true;
      });
    });
  }
});

test('loose file modes and orphaned private files are warnings, not errors', () => {
  withDir((dir) => {
    const k = createKey(dir, zone, 13, NOW);
    chmodSync(`${k.base}.private`, 0o644);
    writeFileSync(join(dir, 'Kexample.com.+013+00002.private'), 'x');
    const { keys, warnings } = loadZoneKeys(dir, zone);
    assert.equal(keys.length, 1);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /readable by group or others \(mode 644\); chmod 600/);
    assert.match(warnings[1]!, /00002\.private: has no \.key file/);
  });
});

test('a BIND key without our timing file takes its times from the private file', () => {
  withDir((dir) => {
    const k = createKey(dir, zone, 15, NOW);
    rmSync(`${k.base}.timing`);
    const p = `${k.base}.private`;
    writeFileSync(p, readFileSync(p, 'utf8') + 'Inactive: 20270201000000\nDelete: 20270301000000\n');
    const back = readKey(`${k.base}.key`);
    assert.deepEqual(back.timing, { created: NOW, publish: NOW, activate: NOW, retire: Date.UTC(2027, 1, 1) / 1000, remove: Date.UTC(2027, 2, 1) / 1000 });
  });
});

test('key phases follow the RFC 7583 times; a key with no times signs', () => {
  withDir((dir) => {
    const k = createKey(dir, zone, 13, NOW);
    k.timing = { created: NOW, publish: NOW + 10, activate: NOW + 20, retire: NOW + 30, remove: NOW + 40 };
    writeTiming(k);
    const back = readKey(`${k.base}.key`);
    assert.deepEqual([0, 10, 20, 30, 40].map((d) => keyPhase(back, NOW + d)), ['created', 'published', 'active', 'retired', 'removed']);
    assert.deepEqual(publishedKeys([back], NOW + 30).length, 1);
    assert.deepEqual(activeKeys([back], NOW + 30).length, 0);
    assert.equal(keyPhase({ ...back, timing: { created: 0 } }, NOW), 'active');
  });
});

test('algorithm names', () => {
  assert.equal(parseAlgorithm('ECDSAP256SHA256'), 13);
  assert.equal(parseAlgorithm('ed25519'), 15);
  assert.equal(parseAlgorithm('15'), 15);
  assert.equal(parseAlgorithm('rsasha256'), undefined);
});

test('importKey takes an ldns-keygen pair as it is, adds timing, and refuses a second copy', (t) => {
  const keygen = needTool(t, 'ldns-keygen', 'ldnsutils');
  if (!keygen) return;
  withDir((dir) => {
    const src = join(dir, 'src');
    execFileSync('mkdir', [src]);
    const stem = execFileSync(keygen, ['-a', 'ED25519', '-k', 'example.com'], { cwd: src, encoding: 'utf8' }).trim();
    const k = importKey(join(src, `${stem}.key`), join(dir, 'keys'));
    assert.equal(k.base, join(dir, 'keys', stem));
    assert.equal(readFileSync(`${k.base}.private`, 'utf8'), readFileSync(join(src, `${stem}.private`), 'utf8'));
    assert.equal(statSync(`${k.base}.private`).mode & 0o777, 0o600);
    const loaded = loadZoneKeys(join(dir, 'keys'), zone);
    assert.deepEqual(loaded.keys.map((x) => x.tag), [k.tag]);
    assert.equal(keyPhase(loaded.keys[0]!, NOW), 'active', 'ldns writes no times: the key is active');
    assert.ok(loaded.keys[0]!.timing.created > 0);
    assert.throws(() => importKey(join(src, `${stem}.key`), join(dir, 'keys')), /already in/);
  });
});

test("Knot's keymgr imports a key we made, with its times, and derives the same DS", (t) => {
  const keymgr = needTool(t, 'keymgr', 'knot');
  if (!keymgr) return;
  withDir((dir) => {
    const k = createKey(join(dir, 'keys'), zone, 13, NOW);
    const run = (...args: string[]): string => execFileSync(keymgr, ['-D', join(dir, 'kasp'), 'example.com', ...args], { encoding: 'utf8', timeout: 20_000 });
    run('import-bind', `${k.base}.key`);
    assert.match(run('list'), new RegExp(`^\\S+\\s+${k.tag} KSK ECDSAP256SHA256 publish=${NOW} active=${NOW}$`, 'm'));
    const ds = run('ds').split('\n').find((l) => / DS \d+ 13 2 /.test(l))!;
    assert.equal(ds.split(' DS ')[1]!.toUpperCase(), dsText(dsRdata(zone, k.dnskey)));
  });
});
