/*
 * receipt.ts - the signed receipt of aegis_sendEncryptedTransaction and the
 * status of aegis_getReceipt (docs/internals/rpc.md, chain.md).
 */
import { ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { be64, concat, equal, fromHex, u64, utf8 } from './bytes.js';
import { AegisError } from './errors.js';
import { merkleVerify } from './merkle.js';
import type { KeySet } from './keyset.js';

export const RECEIPT_CTX = utf8('aegis-receipt-v1');

export interface Receipt {
  envelopeHash: Uint8Array;
  txHash: Uint8Array;
  sender: Uint8Array;
  nonce: bigint;
  seq: bigint;
  envelopeId: bigint;
  keyEpoch: bigint;
  receiptHash: Uint8Array;
  status: string;
  root: Uint8Array;
  index: number;
  count: number;
  path: Uint8Array[];
  signature: Uint8Array;
}

const hashes = (a: unknown, what: string): Uint8Array[] => {
  if (!Array.isArray(a) || a.length > 64) throw new AegisError('AEGIS_ERR_CHAIN_FORMAT', `${what} is not a list`);
  return a.map((x) => fromHex(x, 32, what));
};

export function parseReceipt(j: any): Receipt {
  const s = j?.signature ?? {};
  return {
    envelopeHash: fromHex(j?.envelope_hash, 32, 'envelope_hash'), txHash: fromHex(j?.tx_hash, 32, 'tx_hash'),
    sender: fromHex(j?.sender, 20, 'sender'), nonce: u64(j?.nonce, 'nonce'), seq: u64(j?.seq, 'seq'),
    envelopeId: u64(j?.envelope_id, 'envelope_id'), keyEpoch: u64(j?.key_epoch, 'key_epoch'),
    receiptHash: fromHex(j?.receipt_hash, 32, 'receipt_hash'), status: String(j?.status ?? ''),
    root: fromHex(s.root, 32, 'signature.root'), index: Number(u64(s.index, 'signature.index')),
    count: Number(u64(s.count, 'signature.count')), path: hashes(s.path, 'signature.path'),
    signature: fromHex(s['ml-dsa-87'], 4627, 'signature.ml-dsa-87'),
  };
}

/** keccak256("AEGIS-RECEIPT-V1" || envelope hash || tx hash || seq || envelope id || key epoch). */
export function receiptHash(r: Pick<Receipt, 'envelopeHash' | 'txHash' | 'seq' | 'envelopeId' | 'keyEpoch'>) {
  return keccak_256(concat(utf8('AEGIS-RECEIPT-V1'), r.envelopeHash, r.txHash, be64(r.seq), be64(r.envelopeId),
                           be64(r.keyEpoch)));
}

/**
 * Check a receipt: its hash from its fields, the Merkle path to the signed
 * root, the ML-DSA-87 signature under the key set, the epoch, and that it
 * names this envelope and (when given) this transaction.
 */
export function verifyReceipt(r: Receipt, ks: KeySet, envelope?: Uint8Array, txHash?: Uint8Array): void {
  const bad = (m: string): never => { throw new AegisError('AEGIS_ERR_BAD_SIG', m); };
  if (!equal(receiptHash(r), r.receiptHash)) bad('receipt_hash is not the hash of the receipt fields');
  if (!merkleVerify(r.receiptHash, r.index, r.count, r.path, r.root)) bad('receipt is not under the signed root');
  if (!ml_dsa87.verify(r.signature, r.root, ks.mldsa87, { context: RECEIPT_CTX }))
    bad('ML-DSA-87 receipt signature does not verify under the key set');
  if (r.keyEpoch !== ks.epoch) bad("receipt key epoch differs from the key set's");
  if (envelope && !equal(sha256(envelope), r.envelopeHash)) bad('receipt names another envelope');
  if (txHash && !equal(txHash, r.txHash)) bad('receipt names another transaction');
}

export interface TxStatus {
  status: 'pending' | 'included' | 'rejected' | 'evicted' | 'unknown' | string;
  reason?: string;
  batch?: bigint;
  index?: number;
  count?: number;
  proof?: Uint8Array[];
  txRoot?: Uint8Array;
  batchHash?: Uint8Array;
}

export function parseStatus(j: any): TxStatus {
  const st: TxStatus = { status: String(j?.status ?? '') };
  if (typeof j?.reason === 'string') st.reason = j.reason;
  if (st.status === 'included') {
    st.batch = u64(j.batch, 'batch');
    st.index = Number(u64(j.index, 'index'));
    st.count = j.count === undefined ? undefined : Number(u64(j.count, 'count'));
    st.proof = hashes(j.proof, 'proof');
    st.txRoot = fromHex(j.tx_root, 32, 'tx_root');
    if (j.batch_hash !== undefined) st.batchHash = fromHex(j.batch_hash, 32, 'batch_hash');
  }
  return st;
}
