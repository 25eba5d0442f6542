/*
 * batch.ts - checks on a published batch (aegis_getBatch) that a client
 * needs to trust an inclusion: header hash, ML-DSA-87 signature under the
 * key set of the header's epoch, the attestation binding, the tx at its
 * index and its Merkle proof. (`aegis verify` does the full set of checks:
 * SLH-DSA seals, ECDSA, parent chain, DCAP.)
 */
import { ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { equal, fromHex, readBe64, utf8 } from './bytes.js';
import { AegisError } from './errors.js';
import { merkleVerify } from './merkle.js';
import { parseAttestation, reportData, verifyAttestation, type KeySet, type VerifyOptions } from './keyset.js';
import type { TxStatus } from './receipt.js';
import { txHash as rawTxHash } from './tx.js';

export const BATCH_CTX = utf8('aegis-batch-v1');

export interface BatchHeader {
  chainId: bigint;
  number: bigint;
  txCount: number;
  txRoot: Uint8Array;
  keyEpoch: bigint;
}

/** The fields of the 544-byte ABI header (docs/internals/batch.md). */
export function decodeHeader(abi: Uint8Array): BatchHeader {
  if (abi.length !== 544) throw new AegisError('AEGIS_ERR_CHAIN_HEADER', 'batch header is not 544 bytes');
  const word = (i: number) => abi.subarray(32 * i, 32 * i + 32);
  const small = (i: number) => {
    if (word(i).subarray(0, 24).some((x) => x !== 0)) throw new AegisError('AEGIS_ERR_CHAIN_HEADER', 'header word over 64 bits');
    return readBe64(abi, 32 * i + 24);
  };
  return { chainId: small(1), number: small(2), txCount: Number(small(5)), txRoot: word(6).slice(), keyEpoch: small(12) };
}

/** Verify batch `b` (JSON) under `ks` and the inclusion of txHash described by `st`. */
export async function verifyInclusion(b: any, ks: KeySet, st: TxStatus, txHash: Uint8Array,
                                      opts: VerifyOptions): Promise<BatchHeader> {
  const fail = (code: string, m: string): never => { throw new AegisError(code, m); };
  const abi = fromHex(b?.header_abi, 544, 'header_abi');
  const hash = keccak_256(abi);
  if (!equal(hash, fromHex(b?.hash, 32, 'batch hash'))) fail('AEGIS_ERR_CHAIN_HEADER', 'batch hash is not keccak256(header_abi)');
  const h = decodeHeader(abi);
  if (h.keyEpoch !== ks.epoch) fail('AEGIS_ERR_CHAIN_EPOCH', 'batch signed under another key epoch');
  if (!ml_dsa87.verify(fromHex(b?.signatures?.['ml-dsa-87'], 4627, 'ML-DSA-87 signature'), hash, ks.mldsa87,
                       { context: BATCH_CTX }))
    fail('AEGIS_ERR_CHAIN_SIG_MLDSA', 'ML-DSA-87 batch signature does not verify');
  const prim = parseAttestation(b?.attestation?.primary);
  if (prim.mode === 'per-batch') await verifyAttestation(prim, reportData('AEGIS-BATCH-V1', hash), opts);
  else if (prim.mode === 'key-binding') await verifyAttestation(prim, reportData('AEGIS-KEYSET-V1', ks.hash), opts);
  else fail('AEGIS_ERR_CHAIN_ATTEST', 'unknown attestation mode');
  if (st.batch !== h.number || !st.txRoot || !equal(st.txRoot, h.txRoot))
    fail('AEGIS_ERR_CHAIN_TX_ROOT', "status's batch number or tx_root differs from the signed header");
  const i = st.index ?? -1;
  const tx = Array.isArray(b?.txs) ? b.txs[i] : undefined;
  if (!tx || !equal(fromHex(tx.hash, 32, 'tx hash'), txHash) || !equal(rawTxHash(fromHex(tx.raw, undefined, 'raw tx')), txHash))
    fail('AEGIS_ERR_CHAIN_TX_ROOT', 'the batch does not hold this transaction at that index');
  if (!merkleVerify(txHash, i, h.txCount, st.proof ?? [], h.txRoot))
    fail('AEGIS_ERR_CHAIN_TX_ROOT', 'inclusion proof does not lead to the batch tx_root');
  return h;
}
