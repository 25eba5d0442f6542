/*
 * vectors.test.ts - the TypeScript envelope against the vectors the C code
 * produced (tests/vectors/envelope/envelope.json): recipient keys from their
 * seeds, every intermediate step, the envelope bytes, the round trip, and
 * every negative case's stable error name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { x25519 } from '@noble/curves/ed25519.js';
import {
  AegisError, concat, fromHex, keyId, openEnvelope, parseEnvelope, sealEnvelopeTrace, toHex,
  type EnvelopeCoins, type EnvelopeRecipient, type EnvelopeSecretKeys,
} from '../src/index.js';
import { sha256 } from '@noble/hashes/sha2.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = process.env.AEGIS_ROOT ?? join(here, '..', '..', '..', '..');
const V = JSON.parse(readFileSync(join(root, 'tests/vectors/envelope/envelope.json'), 'utf8'));

function recipient(r: any): { pub: EnvelopeRecipient; sec: EnvelopeSecretKeys } {
  const { publicKey, secretKey } = ml_kem1024.keygen(concat(fromHex(r.mlkem_d, 32), fromHex(r.mlkem_z, 32)));
  assert.equal(toHex(publicKey), r.mlkem_ek, 'ML-KEM-1024 ek from (d, z)');
  assert.equal(toHex(secretKey), r.mlkem_dk, 'ML-KEM-1024 dk from (d, z)');
  const xsk = fromHex(r.x25519_sk, 32);
  assert.equal(toHex(x25519.getPublicKey(xsk)), r.x25519_pk);
  assert.equal(toHex(keyId(publicKey, fromHex(r.x25519_pk))), r.key_id);
  const epoch = BigInt(r.epoch);
  return {
    pub: { epoch, mlkemEk: publicKey, x25519Pk: fromHex(r.x25519_pk, 32) },
    sec: { epoch, mlkemDk: secretKey, x25519Sk: xsk, keyId: fromHex(r.key_id, 32) },
  };
}

const coinsOf = (c: any): EnvelopeCoins => ({
  mlkemM: fromHex(c.mlkem_m, 32), ephSk: fromHex(c.eph_sk, 32), nonce: fromHex(c.nonce, 12),
});

test('constants', () => {
  assert.equal(V.format, 'aegis-envelope-vectors/v1');
  assert.equal(V.constants.header_bytes, 1663);
  assert.equal(V.constants.overhead_bytes, 1679);
});

for (const c of V.valid) {
  test(`valid: ${c.name}`, async () => {
    const { pub, sec } = recipient(c.recipient);
    const pt = fromHex(c.plaintext);
    const { envelope, trace } = await sealEnvelopeTrace(pub, pt, coinsOf(c.coins));
    const s = c.steps;
    assert.equal(toHex(trace.kemCt), s.kem_ct);
    assert.equal(toHex(trace.ssMlkem), s.ss_mlkem);
    assert.equal(toHex(trace.ephPk), s.eph_pk);
    assert.equal(toHex(trace.ssX25519), s.ss_x25519);
    assert.equal(toHex(trace.header), s.header);
    assert.equal(toHex(trace.headerSha256), s.header_sha256);
    assert.equal(toHex(trace.hkdfIkm), s.hkdf_ikm);
    assert.equal(s.hkdf_salt, V.constants.hkdf_salt);
    assert.equal(toHex(trace.hkdfInfo), s.hkdf_info);
    assert.equal(toHex(trace.aeadKey), s.aead_key);
    assert.equal(toHex(trace.ciphertext), s.ciphertext);
    assert.equal(toHex(trace.tag), s.tag);
    assert.equal(toHex(envelope), c.envelope);
    assert.equal(toHex(sha256(envelope)), c.envelope_sha256);
    const v = parseEnvelope(envelope);
    assert.equal(v.epoch, BigInt(c.recipient.epoch));
    assert.equal(toHex(await openEnvelope(envelope, sec)), c.plaintext);
  });
}

function apply(m: any, buf: Uint8Array): Uint8Array {
  if (m.kind === 'truncate') return buf.slice(0, m.length);
  if (m.kind === 'append') return concat(buf, fromHex(m.bytes));
  const out = buf.slice();
  const b = fromHex(m.kind === 'xor' ? m.xor : m.bytes);
  for (let i = 0; i < b.length; i++) out[m.offset + i] = m.kind === 'xor' ? out[m.offset + i] ^ b[i] : b[i];
  return out;
}

for (const n of V.invalid) {
  test(`invalid: ${n.name} -> ${n.error}`, async () => {
    const base = V.valid.find((c: any) => c.name === n.base);
    const { pub, sec } = recipient(base.recipient);
    const m = n.mutation;
    let attempt: Promise<unknown>;
    if (m.target === 'envelope') {
      attempt = openEnvelope(apply(m, fromHex(base.envelope)), sec);
    } else {
      const p = { ...pub };
      if (m.target === 'mlkem_ek') p.mlkemEk = apply(m, pub.mlkemEk);
      else p.x25519Pk = apply(m, pub.x25519Pk);
      attempt = sealEnvelopeTrace(p, fromHex(base.plaintext), coinsOf(base.coins));
    }
    await assert.rejects(attempt, (e: unknown) => e instanceof AegisError && e.code === n.error);
  });
}
