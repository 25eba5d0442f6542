/* bytes.ts - hex, big-endian integers and small byte helpers. */
import { AegisError } from './errors.js';

export function toHex(b: Uint8Array): string {
  let s = '0x';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Strict 0x-hex to bytes; `len` (optional) is the exact byte length wanted. */
export function fromHex(s: unknown, len?: number, what = 'hex value'): Uint8Array {
  if (typeof s !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(s))
    throw new AegisError('AEGIS_ERR_BAD_HEX', `${what} is not 0x-prefixed even-length hex`);
  const b = new Uint8Array((s.length - 2) / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(s.slice(2 + 2 * i, 4 + 2 * i), 16);
  if (len !== undefined && b.length !== len)
    throw new AegisError('AEGIS_ERR_BAD_LENGTH', `${what} must be ${len} bytes, got ${b.length}`);
  return b;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function be64(v: bigint): Uint8Array {
  if (v < 0n || v >= 1n << 64n) throw new AegisError('AEGIS_ERR_INVAL', 'value does not fit in 64 bits');
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v);
  return b;
}

export function readBe64(b: Uint8Array, off: number): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(off);
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * A u64 from the wire: Aegis sends quantities that may exceed 2^53 as
 * decimal or 0x-hex strings; small JSON integers are accepted too, but only
 * when they are exact (Number.isSafeInteger).
 */
export function u64(v: unknown, what = 'integer'): bigint {
  if (typeof v === 'string' && /^(0x[0-9a-fA-F]{1,16}|0|[1-9][0-9]{0,19})$/.test(v)) {
    const n = BigInt(v);
    if (n < 1n << 64n) return n;
  }
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  throw new AegisError('AEGIS_ERR_CHAIN_FORMAT', `${what} is not an unsigned 64-bit quantity`);
}
