/* tx.ts - the little of Ethereum transactions a client needs: the hash. */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { AegisError } from './errors.js';

/** Length of the RLP item at b[off]. */
function rlpItemLength(b: Uint8Array, off: number): number {
  const p = b[off];
  if (p === undefined) throw new AegisError('AEGIS_ERR_RLP_TRUNCATED', 'empty transaction');
  const long = (n: number) => {
    let len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (b[off + 1 + i] ?? 0);
    return 1 + n + len;
  };
  if (p < 0x80) return 1;
  if (p < 0xb8) return 1 + (p - 0x80);
  if (p < 0xc0) return long(p - 0xb7);
  if (p < 0xf8) return 1 + (p - 0xc0);
  return long(p - 0xf7);
}

/**
 * The Ethereum part of a raw transaction (typed: type byte + RLP list;
 * legacy: RLP list), without an Aegis extension appended after it.
 */
export function ethTxBytes(raw: Uint8Array): Uint8Array {
  if (raw.length === 0) throw new AegisError('AEGIS_ERR_RLP_TRUNCATED', 'empty transaction');
  const typed = raw[0] < 0x7f;
  const n = (typed ? 1 : 0) + rlpItemLength(raw, typed ? 1 : 0);
  if (n > raw.length) throw new AegisError('AEGIS_ERR_RLP_TRUNCATED', 'transaction truncated');
  return raw.subarray(0, n);
}

/** The transaction hash a node reports: keccak-256 of the Ethereum part. */
export const txHash = (raw: Uint8Array): Uint8Array => keccak_256(ethTxBytes(raw));
