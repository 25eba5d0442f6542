/* merkle.ts - the keccak Merkle tree of docs/internals/batch.md. */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { concat, equal } from './bytes.js';

export const leaf = (item: Uint8Array): Uint8Array => keccak_256(concat(Uint8Array.of(0), item));
export const node = (l: Uint8Array, r: Uint8Array): Uint8Array => keccak_256(concat(Uint8Array.of(1), l, r));

/** Siblings on the path of item `index` of `n` (promoted levels have none). */
export function proofLength(index: number, n: number): number {
  let k = 0;
  for (let w = n; w > 1; w = Math.ceil(w / 2), index >>= 1) if (!(index === w - 1 && (w & 1))) k++;
  return k;
}

export function merkleVerify(item: Uint8Array, index: number, n: number, path: Uint8Array[],
                             root: Uint8Array): boolean {
  if (!(index >= 0 && index < n) || path.length !== proofLength(index, n)) return false;
  let cur = leaf(item);
  let k = 0;
  for (let w = n; w > 1; w = Math.ceil(w / 2), index >>= 1) {
    if (index === w - 1 && (w & 1)) continue; // promoted
    cur = index & 1 ? node(path[k], cur) : node(cur, path[k]);
    k++;
  }
  return equal(cur, root);
}
