/*
 * libclient.test.mjs - libaegis-client as an outside program sees it: the
 * build installed into a temporary prefix, docs/examples/aegis_client_submit.c
 * compiled through pkg-config against libaegis-client.so and against
 * libaegis-client.a, each run against a real aegisd until its transaction is
 * in a verified batch; and `aegis key fetch` writing the key for
 * `aegis encrypt`, with the sim attestation refused unless allowed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { Daemon, BIN, signedTx } from '../../clients/ts/dist/test/daemon.js';

const run = promisify(execFile);
const ROOT = process.env.AEGIS_ROOT;
const BUILD = dirname(BIN);
const AEGIS = join(BIN, 'aegis');
const d = new Daemon();
const tmp = mkdtempSync(join(tmpdir(), 'aegis-lib-'));
const KEY = '0x' + '77'.repeat(32);
const TO = '0x' + '22'.repeat(20);

before(async () => { await d.start(); });
after(async () => { await d.stop(); rmSync(tmp, { recursive: true, force: true }); });

test('aegis key fetch: attestation checked, output is what aegis encrypt takes', async () => {
  const out = join(tmp, 'node.pub');
  await assert.rejects(run(AEGIS, ['key', 'fetch', '--rpc', d.url, '--out', out]),
    (e) => e.code === 1 && /sim/i.test(e.stderr));
  const { stdout } = await run(AEGIS, ['key', 'fetch', '--rpc', d.url, '--out', out, '--allow-sim',
                                       '--json', join(tmp, 'node.json')]);
  assert.match(stdout, /key set epoch 1 sha256 0x[0-9a-f]{64} attested by sim/);
  const pub = readFileSync(out, 'utf8');
  assert.match(pub, /^keyset [0-9a-f]{8668}\n$/);
  const j = JSON.parse(readFileSync(join(tmp, 'node.json'), 'utf8'));
  assert.equal('0x' + pub.slice(7, -1), j.encoded);
  // the key file seals an envelope the node accepts
  const raw = signedTx(['--key', KEY, '--to', TO, '--nonce', '0']);
  const txFile = join(tmp, 'tx.bin');
  writeFileSync(txFile, Buffer.from(raw.slice(2), 'hex'));
  const env = await run(AEGIS, ['encrypt', '--to', out, txFile], { encoding: 'buffer', maxBuffer: 1 << 24 });
  assert.equal(env.stdout.length, 1679 + (raw.length - 2) / 2);
  const r = await fetch(d.url, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'aegis_sendEncryptedTransaction', params: ['0x' + env.stdout.toString('hex')] }) });
  const body = await r.json();
  assert.ok(body.result, JSON.stringify(body));
  assert.equal(body.result.key_epoch, 1);
});

test('docs/examples/aegis_client_submit.c builds with pkg-config (shared and static) and runs', async () => {
  const prefix = join(tmp, 'prefix');
  await run('cmake', ['--install', BUILD, '--prefix', prefix]);
  const env = { ...process.env, PKG_CONFIG_PATH: join(prefix, 'lib', 'pkgconfig') };
  const pc = async (...a) => (await run('pkg-config', [...a, 'aegis-client'], { env })).stdout.trim().split(/\s+/).filter(Boolean);
  const src = join(ROOT, 'docs', 'examples', 'aegis_client_submit.c');
  const shared = join(tmp, 'submit-shared');
  const stat = join(tmp, 'submit-static');
  const extra = (process.env.AEGIS_CC_FLAGS ?? '').split(/\s+/).filter(Boolean);
  await run('cc', [...extra, '-Wall', '-Wextra', '-Werror', src, ...(await pc('--cflags', '--libs')), '-o', shared]);
  const staticLibs = (await pc('--libs', '--static')).filter((x) => x !== '-laegis-client');
  await run('cc', [...extra, '-Wall', '-Wextra', '-Werror', src, ...(await pc('--cflags')), join(prefix, 'lib', 'libaegis-client.a'),
                   ...staticLibs, '-o', stat]);
  const { stdout: ldd } = await run('ldd', [stat]);
  assert.doesNotMatch(ldd, /aegis-client/);
  let nonce = 1;
  for (const [bin, extraEnv] of [[shared, { LD_LIBRARY_PATH: join(prefix, 'lib') }], [stat, {}]]) {
    const raw = signedTx(['--key', KEY, '--to', TO, '--nonce', String(nonce++)]);
    await assert.rejects(run(bin, [d.url, raw], { env: { ...process.env, ...extraEnv } }), (e) => e.code === 1 && /sim/i.test(e.stderr));
    const { stdout } = await run(bin, [d.url, raw, '--allow-sim'], { env: { ...process.env, ...extraEnv } });
    assert.match(stdout, /receipt signature ok/);
    assert.match(stdout, /included in batch \d+ at index \d+ \(batch and proof verified\)/);
  }
});
