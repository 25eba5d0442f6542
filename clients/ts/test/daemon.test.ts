/*
 * daemon.test.ts - the package against a real aegisd: the key and its sim
 * attestation (refused unless allowSim), seal + submit + signed receipt,
 * inclusion in a verified batch, tampered receipts and batches refused,
 * the node's refusals as structured errors, and a refused envelope reading
 * "rejected" (never "pending") right after the refusal.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  AegisClient, AegisError, AegisRpcError, fromHex, parseReceipt, toHex, txHash, verifyReceipt, verifyInclusion,
  parseStatus,
} from '../src/index.js';
import { Daemon, signedTx } from './daemon.js';

const d = new Daemon();
const KEY = '0x' + '42'.repeat(32);
const TO = '0x' + '11'.repeat(20);

before(async () => { await d.start(); });
after(async () => { await d.stop(); });

test('the sim attestation is refused unless allowSim', async () => {
  const c = new AegisClient(d.url);
  await assert.rejects(c.getKeySet(), (e: unknown) => e instanceof AegisError && e.code === 'AEGIS_ERR_CHAIN_SIM_REFUSED');
  const k = await new AegisClient(d.url, { allowSim: true }).getKeySet();
  assert.equal(k.epoch, 1n);
  assert.equal(k.attestation.backend, 'sim');
  assert.equal(k.attestation.insecure, true);
});

test('u64 params may be decimal strings (aegis_getKeySet, aegis_getBatch)', async () => {
  const c = new AegisClient(d.url, { allowSim: true });
  const k = await c.call('aegis_getKeySet', ['1']);
  assert.equal(k.epoch, 1);
  await assert.rejects(c.call('aegis_getKeySet', ['01']), (e: unknown) => e instanceof AegisRpcError && e.rpcCode === -32602);
  await assert.rejects(c.call('aegis_getKeySet', ['18446744073709551616']), (e: unknown) => e instanceof AegisRpcError);
  await assert.rejects(c.call('aegis_getKeySet', ['99']), (e: unknown) => e instanceof AegisRpcError && e.code === 'AEGIS_ERR_NOT_FOUND');
});

test('a tampered key set is refused', async () => {
  const j = await new AegisClient(d.url).call('aegis_getEncryptionKey');
  const { loadKeySet } = await import('../src/index.js');
  const x = fromHex(j.x25519);
  x[0] ^= 1;
  await assert.rejects(loadKeySet({ ...j, x25519: toHex(x) }, { allowSim: true }),
    (e: unknown) => e instanceof AegisError && e.code === 'AEGIS_ERR_CHAIN_FORMAT');
  const enc = fromHex(j.encoded);
  enc[100] ^= 1; // an ML-DSA key byte: the attestation no longer binds it
  const bad = { ...j, encoded: toHex(enc), keyset_hash: toHex(sha256(enc)), signing: { ...j.signing, 'ml-dsa-87': toHex(enc.slice(13, 13 + 2592)) } };
  await assert.rejects(loadKeySet(bad, { allowSim: true }),
    (e: unknown) => e instanceof AegisError && e.code === 'AEGIS_ERR_CHAIN_ATTEST');
});

test('send, verify the receipt, wait for a verified batch', async () => {
  const c = new AegisClient(d.url, { allowSim: true });
  assert.equal(await c.chainId(), 1n);
  const raw = signedTx(['--key', KEY, '--to', TO, '--nonce', '0', '--value', '1000']);
  const sent = await c.sendRawTransaction(raw);
  assert.equal(sent.txHash, toHex(txHash(fromHex(raw))));
  assert.equal(toHex(sent.receipt.txHash), sent.txHash);
  assert.equal(sent.receipt.nonce, 0n);
  const inc = await c.waitForInclusion(sent.txHash, { timeoutMs: 30000 });
  assert.ok(inc.batch >= 1n);
  assert.equal(inc.header.keyEpoch, 1n);

  // a receipt changed in any signed field does not verify
  const j = await c.call('aegis_getReceipt', [sent.txHash]);
  assert.equal(j.status, 'included');
  const r = parseReceipt(JSON.parse(JSON.stringify({
    envelope_hash: toHex(sent.receipt.envelopeHash), tx_hash: sent.txHash, sender: toHex(sent.receipt.sender),
    nonce: 0, seq: Number(sent.receipt.seq) + 1, envelope_id: Number(sent.receipt.envelopeId),
    receipt_hash: toHex(sent.receipt.receiptHash), key_epoch: 1, status: 'pending',
    signature: { root: toHex(sent.receipt.root), index: sent.receipt.index, count: sent.receipt.count,
                 path: sent.receipt.path.map(toHex), 'ml-dsa-87': toHex(sent.receipt.signature) },
  })));
  assert.throws(() => verifyReceipt(r, sent.keySet), (e: unknown) => e instanceof AegisError && e.code === 'AEGIS_ERR_BAD_SIG');
  const sig = sent.receipt.signature.slice();
  sig[10] ^= 1;
  assert.throws(() => verifyReceipt({ ...sent.receipt, signature: sig }, sent.keySet), /ML-DSA-87/);
  assert.throws(() => verifyReceipt(sent.receipt, sent.keySet, sent.envelope.slice(1)), /another envelope/);

  // a batch changed in its header or signature is refused
  const b = await c.call('aegis_getBatch', [Number(inc.batch)]);
  const st = parseStatus(j);
  const abi = fromHex(b.header_abi);
  abi[200] ^= 1;
  await assert.rejects(verifyInclusion({ ...b, header_abi: toHex(abi) }, sent.keySet, st, fromHex(sent.txHash), { allowSim: true }),
    (e: unknown) => e instanceof AegisError && e.code === 'AEGIS_ERR_CHAIN_HEADER');
  const s2 = fromHex(b.signatures['ml-dsa-87']);
  s2[5] ^= 1;
  await assert.rejects(verifyInclusion({ ...b, signatures: { ...b.signatures, 'ml-dsa-87': toHex(s2) } }, sent.keySet, st,
    fromHex(sent.txHash), { allowSim: true }), (e: unknown) => e instanceof AegisError && e.code === 'AEGIS_ERR_CHAIN_SIG_MLDSA');
  await assert.rejects(verifyInclusion(b, sent.keySet, { ...st, index: (st.index ?? 0) + 1 }, fromHex(sent.txHash), { allowSim: true }),
    (e: unknown) => e instanceof AegisError && e.code === 'AEGIS_ERR_CHAIN_TX_ROOT');
});

test('the sender signs through an ethers/viem-style signer', async () => {
  const c = new AegisClient(d.url, { allowSim: true });
  const signer = { signTransaction: async (tx: { nonce: number }) => signedTx(['--key', KEY, '--to', TO, '--nonce', String(tx.nonce)]) };
  const sent = await c.sendTransaction(signer, { nonce: 1 });
  assert.equal(sent.receipt.nonce, 1n);
  await c.waitForInclusion(sent.txHash, { timeoutMs: 30000 });
});

test('a nonce above 2^53 arrives exactly (a decimal string), and its batch verifies', async () => {
  const c = new AegisClient(d.url, { allowSim: true });
  const nonce = (1n << 60n) + 1n; // not representable as a double
  const raw = signedTx(['--key', '0x' + '56'.repeat(32), '--to', TO, '--nonce', nonce.toString()]);
  const sent = await c.sendRawTransaction(raw);
  assert.equal(sent.receipt.nonce, nonce);
  const inc = await c.waitForInclusion(sent.txHash, { timeoutMs: 30000 });
  const text = await (await fetch(d.url, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'aegis_getBatch', params: [Number(inc.batch)] }) })).text();
  assert.ok(text.includes(`"nonce":"${nonce}"`), 'the batch lists the nonce as a decimal string');
  const { execFileSync } = await import('node:child_process');
  const { BIN } = await import('./daemon.js');
  const out = execFileSync(`${BIN}/aegis`, ['verify', '--rpc', d.url, '--all', '--allow-sim'], { encoding: 'utf8' });
  assert.match(out, / 0 failed/);
});

test("the node's refusals arrive as structured errors, and read rejected at once", async () => {
  const c = new AegisClient(d.url, { allowSim: true });
  const wrongChain = signedTx(['--key', KEY, '--to', TO, '--nonce', '5', '--chain-id', '5']);
  let refused: AegisRpcError | undefined;
  await assert.rejects(c.sendRawTransaction(wrongChain), (e: unknown) => {
    refused = e as AegisRpcError;
    return e instanceof AegisRpcError && e.code === 'AEGIS_ERR_TX_CHAIN_ID' && e.aegisCode === 640 && e.rpcCode === -33640;
  });
  // asked right after the refusal: rejected, with its reason (never pending)
  const st = await c.getStatus(refused!.envelopeHash!);
  assert.equal(st.status, 'rejected');
  assert.match(st.reason ?? '', /chain/);

  const { envelope } = await c.seal(Uint8Array.of(0xc0));
  await assert.rejects(c.call('aegis_sendEncryptedTransaction', [toHex(envelope)]), (e: unknown) => e instanceof AegisRpcError);
  const st2 = await c.getStatus(toHex(sha256(envelope)));
  assert.equal(st2.status, 'rejected');
  assert.ok(st2.reason && st2.reason.length > 0);

  await assert.rejects(new AegisClient('http://127.0.0.1:1', { allowSim: true }).getKeySet(),
    (e: unknown) => e instanceof AegisRpcError && e.rpcCode === 0);
});
