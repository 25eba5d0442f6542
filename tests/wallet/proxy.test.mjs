/*
 * proxy.test.mjs - `aegis proxy` driven by real third-party clients:
 * Foundry's cast and ethers v6 (npm, pinned by package-lock.json), with
 * anvil as the upstream execution client and a real aegisd as the
 * sequencer. Each transaction must end up in a batch that `aegis verify`
 * accepts, and the proxy's receipt must name that batch. Bad input (garbage,
 * wrong chain id, a method that needs the upstream, a sequencer that went
 * away) gets the documented wallet-shaped errors.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ethers } from 'ethers';
import { Daemon, freePort, BIN } from '../../clients/ts/dist/test/daemon.js';
import { AegisClient } from '../../clients/ts/dist/src/index.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const CAST = join(here, 'node_modules', '.bin', 'cast');
const ANVIL = join(here, 'node_modules', '.bin', 'anvil');
// anvil's first two well-known development accounts (public test keys)
const KEY0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const KEY1 = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const TO = '0x1111111111111111111111111111111111111111';
const CHAIN = 31337;

const procs = [];
const d = new Daemon();
let anvilUrl, proxyUrl;

function start(bin, args, ready) {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${bin} did not start: ${out}`)), 30000);
    const onData = (b) => {
      out += b;
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve(p);
      }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${bin} exited ${code}: ${out}`)); });
  });
}

async function rpc(url, method, params = []) {
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' },
                               body: JSON.stringify({ jsonrpc: '2.0', id: 7, method, params }) });
  return r.json();
}

/* The transaction is in a batch, and aegis verify accepts every batch. */
async function assertVerified(txHash) {
  const st = await rpc(d.url, 'aegis_getReceipt', [txHash]);
  assert.equal(st.result.status, 'included', JSON.stringify(st));
  const { stdout } = await run(join(BIN, 'aegis'), ['verify', '--all', '--allow-sim', '--rpc', d.url]);
  assert.match(stdout, /ok/i);
  return st.result;
}

before(async () => {
  // a risk oracle, so the test can move the sequencer to a new key epoch;
  // no grace window: envelopes to the old epoch are refused at once
  await run(join(BIN, 'aegis'), ['keygen', '--type', 'ml-dsa-87', '--out', join(d.dir, 'oracle')]);
  await d.start(`[node]\nchain_id = ${CHAIN}\n[quantum]\noracle_keys = ["${join(d.dir, 'oracle.pub')}"]\n` +
                `key_grace_s = 0\n`);
  const ap = await freePort();
  anvilUrl = `http://127.0.0.1:${ap}`;
  await start(ANVIL, ['--port', String(ap), '--host', '127.0.0.1', '--chain-id', String(CHAIN)], /Listening on/);
  const pp = await freePort();
  proxyUrl = `http://127.0.0.1:${pp}`;
  await start(join(BIN, 'aegis'), ['proxy', '--sequencer', d.url, '--upstream', anvilUrl, '--listen',
                                   `127.0.0.1:${pp}`, '--allow-sim'], /listening on/);
});

after(async () => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
  await d.stop();
});

test('the proxy refuses a sim sequencer unless --allow-sim', async () => {
  const pp = await freePort();
  await assert.rejects(run(join(BIN, 'aegis'), ['proxy', '--sequencer', d.url, '--listen', `127.0.0.1:${pp}`]),
    (e) => e.code === 1 && /INSECURE simulated TEE|sim/.test(e.stderr));
});

test('cast send through the proxy ends in a verified batch', async () => {
  const { stdout } = await run(CAST, ['send', '--rpc-url', proxyUrl, '--private-key', KEY0, TO, '--value', '12345',
                                      '--json'], { timeout: 120000 });
  const receipt = JSON.parse(stdout);
  assert.equal(receipt.status, '0x1');
  const st = await assertVerified(receipt.transactionHash);
  assert.equal(receipt.blockHash, st.batch_hash, 'the receipt names the Aegis batch');
  assert.equal(BigInt(receipt.blockNumber), BigInt(st.batch));
  const mine = await rpc(proxyUrl, 'eth_getTransactionReceipt', [receipt.transactionHash]);
  assert.equal(mine.result.aegis.verified, true);
  assert.equal(mine.result.aegis.batchHash, st.batch_hash);
  // a second send: the proxy's pending nonce follows its own sends
  const two = JSON.parse((await run(CAST, ['send', '--rpc-url', proxyUrl, '--private-key', KEY0, TO, '--value', '1',
                                           '--json'], { timeout: 120000 })).stdout);
  await assertVerified(two.transactionHash);
  const tx = await rpc(proxyUrl, 'eth_getTransactionByHash', [two.transactionHash]);
  assert.equal(tx.result.nonce, '0x1');
  assert.equal(tx.result.blockHash, two.blockHash);
});

test('ethers v6 through the proxy ends in a verified batch', async () => {
  const provider = new ethers.JsonRpcProvider(proxyUrl, CHAIN, { staticNetwork: true });
  provider.pollingInterval = 100;
  const wallet = new ethers.Wallet(KEY1, provider);
  const resp = await wallet.sendTransaction({ to: TO, value: 777n });
  const receipt = await resp.wait(1, 60000);
  assert.equal(receipt.status, 1);
  const st = await assertVerified(resp.hash);
  assert.equal(receipt.blockHash, st.batch_hash);
  assert.equal(receipt.from, wallet.address);
  // an access list comes back as sent
  const al = [{ address: TO, storageKeys: ['0x' + '00'.repeat(31) + '01', '0x' + 'ab'.repeat(32)] }];
  // ethers caches identical calls for 250 ms (eth_getTransactionCount too): on a chain whose blocks
  // come faster than that, a second send right away would reuse the nonce
  await new Promise((r) => setTimeout(r, 300));
  const r2 = await wallet.sendTransaction({ to: TO, value: 1n, accessList: al });
  await r2.wait(1, 60000);
  const tx = await rpc(proxyUrl, 'eth_getTransactionByHash', [r2.hash]);
  assert.deepEqual(tx.result.accessList, al);
  await assertVerified(r2.hash);
});

test('ethers signer + the TypeScript client, straight to the sequencer', async () => {
  const c = new AegisClient(d.url, { allowSim: true });
  const wallet = new ethers.Wallet(KEY1);
  const sent = await c.sendTransaction(wallet, { to: TO, value: 5n, nonce: 2, chainId: CHAIN, gasLimit: 21000,
                                                 maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n });
  const inc = await c.waitForInclusion(sent.txHash, { timeoutMs: 30000 });
  assert.ok(inc.batch >= 1n);
  await assertVerified(sent.txHash);
});

test('bad input gets wallet-shaped errors', async () => {
  let r = await rpc(proxyUrl, 'eth_sendRawTransaction', ['0xdeadbeef']);
  assert.equal(r.error.code, -32602);
  assert.match(r.error.message, /invalid raw transaction/);
  assert.ok(r.error.data.name.startsWith('AEGIS_ERR_'));
  r = await rpc(proxyUrl, 'eth_sendRawTransaction', ['not hex']);
  assert.equal(r.error.code, -32602);
  const other = new ethers.Wallet(KEY1);
  const wrong = await other.signTransaction({ to: TO, value: 1n, nonce: 0, chainId: 1, gasLimit: 21000,
                                              maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1n });
  r = await rpc(proxyUrl, 'eth_sendRawTransaction', [wrong]);
  assert.equal(r.error.code, -32000);
  assert.match(r.error.message, /chain id/);
  assert.equal(r.error.data.name, 'AEGIS_ERR_TX_CHAIN_ID');
  // a replay of a transaction the sequencer already holds: refused by the sequencer
  const signed = await other.signTransaction({ to: TO, value: 3n, nonce: 3, chainId: CHAIN, gasLimit: 21000,
                                               maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1n });
  r = await rpc(proxyUrl, 'eth_sendRawTransaction', [signed]);
  assert.ok(r.result, JSON.stringify(r));
  r = await rpc(proxyUrl, 'eth_sendRawTransaction', [signed]);
  assert.equal(r.error.code, -32003);
  assert.ok(r.error.data.aegis_code > 0);
  const body = await (await fetch(proxyUrl, { method: 'POST', body: '{"jsonrpc":' })).json();
  assert.equal(body.error.code, -32700);
  r = await rpc(proxyUrl, 'aegis_nope');
  assert.equal(r.error.code, -32601);
  // forwarded as is: the upstream's own answer
  r = await rpc(proxyUrl, 'eth_gasPrice');
  assert.match(r.result, /^0x[0-9a-f]+$/);
});

test('the key epoch changing between two sends: the proxy fetches the new key and seals again', async () => {
  const provider = new ethers.JsonRpcProvider(proxyUrl, CHAIN, { staticNetwork: true });
  provider.pollingInterval = 100;
  const wallet = new ethers.Wallet(KEY0, provider);
  const before = await rpc(d.url, 'aegis_status');
  const epoch0 = before.result.core.key_epoch;
  const ts = new AegisClient(d.url, { allowSim: true });
  const cached = await ts.getKeySet();   // the TypeScript client caches the key too
  // the proxy has the current key cached (30 s): rotate under it
  await run(join(BIN, 'aegis'), ['risk', 'submit', '--rpc', d.url, '--key', join(d.dir, 'oracle.key'), '--score', '9500']);
  let after;
  for (let i = 0; i < 200; i++) {   // the rotation lands with the level change's checkpoint
    after = await rpc(d.url, 'aegis_status');
    if (after.result.core.key_epoch > epoch0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(after.result.core.key_epoch > epoch0, 'the emergency level started a new key epoch');
  const resp = await wallet.sendTransaction({ to: TO, value: 3n });
  let st;
  for (let i = 0; i < 600; i++) {   // the sequencer's own status, up to 60 s
    st = (await rpc(d.url, 'aegis_getReceipt', [resp.hash])).result;
    if (st.status !== 'pending') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(st.status, 'included', JSON.stringify(st));
  const receipt = await provider.getTransactionReceipt(resp.hash);
  assert.equal(receipt.status, 1);
  await assertVerified(resp.hash);
  const mine = await rpc(proxyUrl, 'eth_getTransactionReceipt', [resp.hash]);
  assert.equal(mine.result.aegis.keyEpoch, after.result.core.key_epoch);
  // the TypeScript client with its stale key: refused once, fetches the new key, re-seals
  const sent = await ts.sendTransaction(new ethers.Wallet(KEY1), { to: TO, value: 4n, nonce: 4, chainId: CHAIN,
    gasLimit: 21000, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n });
  assert.equal(sent.keySet.epoch, BigInt(after.result.core.key_epoch));
  assert.ok(sent.keySet.epoch > cached.epoch);
  await ts.waitForInclusion(sent.txHash, { timeoutMs: 60000 });
  await assertVerified(sent.txHash);
});

test('the sequencer going away is an error, never a silent drop', async () => {
  const pp = await freePort();
  const p = await start(join(BIN, 'aegis'), ['proxy', '--sequencer', d.url, '--listen', `127.0.0.1:${pp}`,
                                             '--allow-sim', '--key-max-age', '1'], /listening on/);
  await d.stop();
  const w = new ethers.Wallet(KEY0);
  const raw = await w.signTransaction({ to: TO, value: 1n, nonce: 9, chainId: CHAIN, gasLimit: 21000,
                                        maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1n });
  const r = await rpc(`http://127.0.0.1:${pp}`, 'eth_sendRawTransaction', [raw]);
  assert.equal(r.error.code, -32002);
  assert.match(r.error.message, /sequencer unavailable|unavailable/);
  p.kill('SIGTERM');
});
