/*
 * keyset.ts - the sequencer's published key set (aegis_getEncryptionKey /
 * aegis_getKeySet): decoded from its "encoded" bytes (AEGP, docs/internals/
 * keys.md), every redundant JSON field checked against them, and the
 * attestation checked to bind SHA-256(encoded).
 */
import { p256 } from '@noble/curves/nist.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, equal, fromHex, readBe64, toHex, u64, utf8 } from './bytes.js';
import { checkMlkemEk, keyId as envKeyId, type EnvelopeRecipient } from './envelope.js';
import { AegisError } from './errors.js';

export const KEYSET_BYTES = 4334;
const SIZES = { mldsa: 2592, slh: 64, secp: 65, mlkem: 1568, x: 32 };

export interface Attestation {
  backend: string;
  mode: string;
  insecure: boolean;
  reportData: Uint8Array;
  quote: Uint8Array;
  eventLog?: string;
}

/**
 * Checks a hardware (tdx, dstack) quote: that it is genuine under the
 * caller's policy and that its report data equals `reportData`. Return true
 * to accept. (This package verifies sim quotes itself; DCAP verification of
 * TDX quotes is done by `aegis quote verify` / libaegis-client.)
 */
export type QuoteVerifier = (a: Attestation, reportData: Uint8Array) => Promise<boolean> | boolean;

export interface VerifyOptions {
  /** Accept the INSECURE simulated TEE (development only). */
  allowSim?: boolean;
  verifyQuote?: QuoteVerifier;
}

export interface KeySet {
  epoch: bigint;
  encoded: Uint8Array;
  hash: Uint8Array; // SHA-256(encoded): what the attestation binds
  mldsa87: Uint8Array;
  slhdsa: Uint8Array;
  secp256k1: Uint8Array;
  ethAddress: Uint8Array;
  mlkemEk: Uint8Array;
  x25519: Uint8Array;
  keyId: Uint8Array;
  attestation: Attestation;
}

export function recipientOf(k: KeySet): EnvelopeRecipient {
  return { epoch: k.epoch, mlkemEk: k.mlkemEk, x25519Pk: k.x25519 };
}

/** report_data = tag zero-padded to 32 bytes || 32-byte value. */
export function reportData(tag: string, value: Uint8Array): Uint8Array {
  const t = new Uint8Array(32);
  t.set(utf8(tag));
  return concat(t, value);
}

export function parseAttestation(j: any): Attestation {
  if (!j || typeof j !== 'object' || typeof j.backend !== 'string' || typeof j.mode !== 'string')
    throw new AegisError('AEGIS_ERR_CHAIN_FORMAT', 'attestation record fields');
  return {
    backend: j.backend, mode: j.mode, insecure: j.insecure === true,
    reportData: fromHex(j.report_data, 64, 'attestation report_data'), quote: fromHex(j.quote, undefined, 'quote'),
    eventLog: typeof j.event_log === 'string' ? j.event_log : undefined,
  };
}

/** The sim quote (docs/internals/tee.md): P-256 signature over bytes 0..194. */
export function verifySimQuote(q: Uint8Array, want: Uint8Array): void {
  const bad = (m: string): never => { throw new AegisError('AEGIS_ERR_CHAIN_ATTEST', m); };
  if (q.length !== 259) bad('sim quote is not 259 bytes');
  if (!equal(q.subarray(0, 18), utf8('AEGIS-SIM-QUOTE-V1'))) bad('not a sim quote');
  if (!equal(q.subarray(66, 130), want)) bad('sim quote does not bind this report data');
  let ok = false;
  try {
    ok = p256.verify(q.subarray(195, 259), q.subarray(0, 195), q.subarray(130, 195), { prehash: true, lowS: false });
  } catch {
    ok = false;
  }
  if (!ok) bad('sim quote signature does not verify');
}

/** Check an attestation record against the report data it must carry. */
export async function verifyAttestation(a: Attestation, want: Uint8Array, opts: VerifyOptions): Promise<void> {
  if (!equal(a.reportData, want))
    throw new AegisError('AEGIS_ERR_CHAIN_ATTEST', 'attestation report_data does not bind this value');
  if (a.backend === 'sim') {
    if (!opts.allowSim)
      throw new AegisError('AEGIS_ERR_CHAIN_SIM_REFUSED',
                           'the node runs the INSECURE simulated TEE; pass allowSim only for development');
    if (!a.insecure) throw new AegisError('AEGIS_ERR_CHAIN_ATTEST', 'sim attestation does not declare itself insecure');
    verifySimQuote(a.quote, want);
    return;
  }
  if (!opts.verifyQuote)
    throw new AegisError('AEGIS_ERR_CHAIN_ATTEST',
                         `a ${a.backend} quote needs a verifier (verifyQuote option; e.g. 'aegis quote verify')`);
  if (!(await opts.verifyQuote(a, want)))
    throw new AegisError('AEGIS_ERR_CHAIN_ATTEST', `${a.backend} quote refused by the verifier`);
}

/** Decode, cross-check and attestation-check a published key set. */
export async function loadKeySet(j: any, opts: VerifyOptions = {}): Promise<KeySet> {
  const fmt = (m: string): never => { throw new AegisError('AEGIS_ERR_CHAIN_FORMAT', m); };
  if (!j || typeof j !== 'object') fmt('key set is not an object');
  const enc = fromHex(j.encoded, KEYSET_BYTES, 'key set encoding');
  if (!equal(enc.subarray(0, 4), utf8('AEGP')) || enc[4] !== 1) fmt('key set encoding: magic or version');
  let o = 13;
  const take = (n: number) => enc.slice(o, (o += n));
  const k: KeySet = {
    epoch: readBe64(enc, 5), encoded: enc, hash: sha256(enc),
    mldsa87: take(SIZES.mldsa), slhdsa: take(SIZES.slh), secp256k1: take(SIZES.secp),
    mlkemEk: take(SIZES.mlkem), x25519: take(SIZES.x), ethAddress: new Uint8Array(), keyId: new Uint8Array(),
    attestation: parseAttestation(j.attestation),
  };
  checkMlkemEk(k.mlkemEk);
  if (k.secp256k1[0] !== 4) fmt('secp256k1 key is not uncompressed');
  k.ethAddress = keccak_256(k.secp256k1.subarray(1)).slice(12);
  k.keyId = envKeyId(k.mlkemEk, k.x25519);
  const sg = j.signing ?? {};
  const same = (v: unknown, want: Uint8Array, what: string) => {
    if (!equal(fromHex(v, want.length, what), want)) fmt(`key set field ${what} disagrees with the encoding`);
  };
  if (u64(j.epoch, 'epoch') !== k.epoch) fmt('key set epoch disagrees with the encoding');
  same(j.keyset_hash, k.hash, 'keyset_hash');
  same(j['ml-kem-1024'], k.mlkemEk, 'ml-kem-1024');
  same(j.x25519, k.x25519, 'x25519');
  same(j.key_id, k.keyId, 'key_id');
  same(sg['ml-dsa-87'], k.mldsa87, 'signing.ml-dsa-87');
  same(sg['slh-dsa-sha2-256s'], k.slhdsa, 'signing.slh-dsa-sha2-256s');
  same(sg.secp256k1, k.secp256k1, 'signing.secp256k1');
  same(sg.eth_address, k.ethAddress, 'signing.eth_address');
  if (k.attestation.mode !== 'key-binding')
    throw new AegisError('AEGIS_ERR_CHAIN_ATTEST', 'key set attestation is not in key-binding mode');
  await verifyAttestation(k.attestation, reportData('AEGIS-KEYSET-V1', k.hash), opts);
  return k;
}

export const keySetSummary = (k: KeySet) =>
  `epoch ${k.epoch} key_id ${toHex(k.keyId)} (${k.attestation.backend}${k.attestation.insecure ? ', INSECURE' : ''})`;
