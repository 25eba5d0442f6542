/*
 * envelope.ts - the Aegis hybrid envelope, suite 1 (ML-KEM-1024 + X25519 +
 * HKDF-SHA-256 + AES-256-GCM), byte for byte as docs/internals/envelope.md
 * describes it and tests/vectors/envelope/envelope.json pins it down.
 *
 * Primitives: @noble/post-quantum (ML-KEM-1024, FIPS 203), @noble/curves
 * (X25519), @noble/hashes (SHA-256, HKDF), WebCrypto (AES-256-GCM).
 */
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { be64, concat, equal, readBe64, utf8 } from './bytes.js';
import { AegisError } from './errors.js';

export const MAGIC = utf8('AEGE');
export const VERSION = 1;
export const SUITE_HYBRID1 = 1;
export const MLKEM_EK_BYTES = 1568;
export const MLKEM_CT_BYTES = 1568;
export const HEADER_BYTES = 1663;
export const TAG_BYTES = 16;
export const OVERHEAD_BYTES = HEADER_BYTES + TAG_BYTES;
export const MAX_PLAINTEXT = 256 * 1024;
export const KDF_SALT = utf8('AEGIS-ENVELOPE-V1');
export const KDF_INFO_LABEL = utf8('aegis/envelope/v1/suite1');

const OFF = { epoch: 7, keyId: 15, kemCt: 47, eph: 1615, nonce: 1647, ctLen: 1659 } as const;

/** The recipient's public encryption keys for one key epoch. */
export interface EnvelopeRecipient {
  epoch: bigint;
  mlkemEk: Uint8Array; // 1568 bytes
  x25519Pk: Uint8Array; // 32 bytes
}

/** The sender's per-envelope randomness (fresh for every envelope). */
export interface EnvelopeCoins {
  mlkemM: Uint8Array; // 32: ML-KEM encapsulation seed m
  ephSk: Uint8Array; // 32: X25519 ephemeral secret
  nonce: Uint8Array; // 12: AES-GCM nonce
}

/** Every value a sender computes, for tests against the published vectors. */
export interface SealTrace {
  kemCt: Uint8Array;
  ssMlkem: Uint8Array;
  ephPk: Uint8Array;
  ssX25519: Uint8Array;
  header: Uint8Array;
  headerSha256: Uint8Array;
  hkdfIkm: Uint8Array;
  hkdfInfo: Uint8Array;
  aeadKey: Uint8Array;
  ciphertext: Uint8Array;
  tag: Uint8Array;
}

/** Recipient key id = SHA-256(ML-KEM ek || X25519 pk). */
export function keyId(mlkemEk: Uint8Array, x25519Pk: Uint8Array): Uint8Array {
  return sha256(concat(mlkemEk, x25519Pk));
}

/** FIPS 203 §7.2 encapsulation key check: every 12-bit coefficient < q. */
export function checkMlkemEk(ek: Uint8Array): void {
  if (ek.length !== MLKEM_EK_BYTES)
    throw new AegisError('AEGIS_ERR_MLKEM_EK_CHECK', 'ML-KEM-1024 key is not 1568 bytes');
  for (let i = 0; i < 1536; i += 3) {
    const a = ek[i] | ((ek[i + 1] & 0x0f) << 8);
    const b = (ek[i + 1] >> 4) | (ek[i + 2] << 4);
    if (a >= 3329 || b >= 3329)
      throw new AegisError('AEGIS_ERR_MLKEM_EK_CHECK', 'ML-KEM-1024 key fails the FIPS 203 7.2 modulus check');
  }
}

function x25519Shared(sk: Uint8Array, pk: Uint8Array, code: string): Uint8Array {
  let ss: Uint8Array;
  try {
    ss = x25519.getSharedSecret(sk, pk);
  } catch {
    throw new AegisError(code, 'X25519 public key of small order');
  }
  if (ss.every((x) => x === 0)) throw new AegisError(code, 'X25519 public key of small order');
  return ss;
}

function deriveKey(ssMlkem: Uint8Array, ssX: Uint8Array, header: Uint8Array) {
  const headerSha256 = sha256(header);
  const hkdfIkm = concat(ssMlkem, ssX);
  const hkdfInfo = concat(KDF_INFO_LABEL, headerSha256);
  return { headerSha256, hkdfIkm, hkdfInfo, aeadKey: hkdf(sha256, hkdfIkm, KDF_SALT, hkdfInfo, 32) };
}

async function gcm(op: 'encrypt' | 'decrypt', key: Uint8Array, nonce: Uint8Array, aad: Uint8Array,
                   data: Uint8Array): Promise<Uint8Array> {
  const k = await globalThis.crypto.subtle.importKey('raw', key as BufferSource, 'AES-GCM', false, [op]);
  const alg = { name: 'AES-GCM', iv: nonce as BufferSource, additionalData: aad as BufferSource, tagLength: 128 };
  const out = op === 'encrypt'
    ? await globalThis.crypto.subtle.encrypt(alg, k, data as BufferSource)
    : await globalThis.crypto.subtle.decrypt(alg, k, data as BufferSource);
  return new Uint8Array(out);
}

export function randomCoins(): EnvelopeCoins {
  const r = globalThis.crypto.getRandomValues(new Uint8Array(76));
  return { mlkemM: r.slice(0, 32), ephSk: r.slice(32, 64), nonce: r.slice(64, 76) };
}

/**
 * Seal plaintext (a signed Ethereum transaction) to the recipient. Without
 * `coins` fresh randomness is drawn from crypto.getRandomValues; pass coins
 * only to reproduce known-answer vectors. Returns the envelope and the trace.
 */
export async function sealEnvelopeTrace(rcpt: EnvelopeRecipient, plaintext: Uint8Array,
                                        coins: EnvelopeCoins = randomCoins()):
    Promise<{ envelope: Uint8Array; trace: SealTrace }> {
  if (plaintext.length > MAX_PLAINTEXT)
    throw new AegisError('AEGIS_ERR_ENV_TOO_BIG', 'plaintext over 256 KiB');
  checkMlkemEk(rcpt.mlkemEk);
  if (rcpt.x25519Pk.length !== 32) throw new AegisError('AEGIS_ERR_BAD_KEY', 'X25519 key is not 32 bytes');
  const { cipherText: kemCt, sharedSecret: ssMlkem } = ml_kem1024.encapsulate(rcpt.mlkemEk, coins.mlkemM);
  const ephPk = x25519.getPublicKey(coins.ephSk);
  const ssX25519 = x25519Shared(coins.ephSk, rcpt.x25519Pk, 'AEGIS_ERR_BAD_KEY');
  const header = new Uint8Array(HEADER_BYTES);
  const dv = new DataView(header.buffer);
  header.set(MAGIC, 0);
  header[4] = VERSION;
  dv.setUint16(5, SUITE_HYBRID1);
  header.set(be64(rcpt.epoch), OFF.epoch);
  header.set(keyId(rcpt.mlkemEk, rcpt.x25519Pk), OFF.keyId);
  header.set(kemCt, OFF.kemCt);
  header.set(ephPk, OFF.eph);
  header.set(coins.nonce, OFF.nonce);
  dv.setUint32(OFF.ctLen, plaintext.length);
  const k = deriveKey(ssMlkem, ssX25519, header);
  const sealed = await gcm('encrypt', k.aeadKey, coins.nonce, header, plaintext);
  const ciphertext = sealed.slice(0, plaintext.length);
  const tag = sealed.slice(plaintext.length);
  return {
    envelope: concat(header, sealed),
    trace: { kemCt, ssMlkem, ephPk, ssX25519, header, ...k, ciphertext, tag },
  };
}

export async function sealEnvelope(rcpt: EnvelopeRecipient, plaintext: Uint8Array,
                                   coins?: EnvelopeCoins): Promise<Uint8Array> {
  return (await sealEnvelopeTrace(rcpt, plaintext, coins)).envelope;
}

/** A parsed envelope (views into the caller's bytes). */
export interface EnvelopeView {
  version: number;
  suite: number;
  epoch: bigint;
  header: Uint8Array;
  keyId: Uint8Array;
  kemCt: Uint8Array;
  ephPk: Uint8Array;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
  tag: Uint8Array;
}

/** Framing checks only, in the order of the C code (same error names). */
export function parseEnvelope(b: Uint8Array): EnvelopeView {
  const fail = (code: string, m: string): never => { throw new AegisError(code, m); };
  if (b.length < 4) fail('AEGIS_ERR_ENV_TRUNCATED', 'envelope truncated');
  if (!equal(b.subarray(0, 4), MAGIC)) fail('AEGIS_ERR_ENV_BAD_MAGIC', 'not an Aegis envelope');
  if (b.length < 5) fail('AEGIS_ERR_ENV_TRUNCATED', 'envelope truncated');
  if (b[4] !== VERSION) fail('AEGIS_ERR_ENV_BAD_VERSION', 'unknown envelope version');
  if (b.length < 7) fail('AEGIS_ERR_ENV_TRUNCATED', 'envelope truncated');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const suite = dv.getUint16(5);
  if (suite !== SUITE_HYBRID1) fail('AEGIS_ERR_ENV_UNKNOWN_SUITE', 'unknown envelope suite');
  if (b.length < OVERHEAD_BYTES) fail('AEGIS_ERR_ENV_TRUNCATED', 'envelope truncated');
  const n = dv.getUint32(OFF.ctLen);
  if (n > MAX_PLAINTEXT) fail('AEGIS_ERR_ENV_TOO_BIG', 'envelope over 256 KiB');
  if (b.length < OVERHEAD_BYTES + n) fail('AEGIS_ERR_ENV_TRUNCATED', 'envelope truncated');
  if (b.length > OVERHEAD_BYTES + n) fail('AEGIS_ERR_ENV_TRAILING', 'bytes after the envelope tag');
  return {
    version: b[4], suite, epoch: readBe64(b, OFF.epoch), header: b.subarray(0, HEADER_BYTES),
    keyId: b.subarray(OFF.keyId, OFF.keyId + 32), kemCt: b.subarray(OFF.kemCt, OFF.kemCt + MLKEM_CT_BYTES),
    ephPk: b.subarray(OFF.eph, OFF.eph + 32), nonce: b.subarray(OFF.nonce, OFF.nonce + 12),
    ciphertext: b.subarray(HEADER_BYTES, HEADER_BYTES + n), tag: b.subarray(HEADER_BYTES + n),
  };
}

/** The recipient's secret keys for one epoch (the sequencer's side). */
export interface EnvelopeSecretKeys {
  epoch: bigint;
  mlkemDk: Uint8Array; // 3168
  x25519Sk: Uint8Array; // 32
  keyId: Uint8Array; // 32
}

/** Open an envelope: what the sequencer's TEE does. For tests and tools. */
export async function openEnvelope(b: Uint8Array, keys: EnvelopeSecretKeys): Promise<Uint8Array> {
  const v = parseEnvelope(b);
  if (v.epoch !== keys.epoch) throw new AegisError('AEGIS_ERR_ENV_UNKNOWN_EPOCH', 'no keys for this epoch');
  if (!equal(v.keyId, keys.keyId)) throw new AegisError('AEGIS_ERR_ENV_WRONG_RECIPIENT', 'envelope for another key');
  const ssX = x25519Shared(keys.x25519Sk, v.ephPk, 'AEGIS_ERR_ENV_BAD_EPHEMERAL');
  const ssK = ml_kem1024.decapsulate(v.kemCt, keys.mlkemDk);
  const k = deriveKey(ssK, ssX, v.header);
  try {
    return await gcm('decrypt', k.aeadKey, v.nonce, v.header, concat(v.ciphertext, v.tag));
  } catch {
    throw new AegisError('AEGIS_ERR_ENV_DECRYPT', 'envelope does not decrypt');
  }
}
