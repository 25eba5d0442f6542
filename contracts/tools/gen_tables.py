#!/usr/bin/env python3
"""Generates the unrolled Keccak-f[1600] round body (Yul) and the ML-DSA zeta table
used by src/Keccak.sol and src/MLDSA87.sol. Run: python3 tools/gen_tables.py keccak|zetas"""
import sys

ROT = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61],
       [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]]  # ROT[x][y]
M64 = "0xffffffffffffffff"


def rol(v, n):
    if n == 0:
        return v
    return f"or(and(shl({n}, {v}), {M64}), shr({64 - n}, {v}))"


def keccak():
    o = []
    A = lambda x, y: f"add(s, {32 * (x + 5 * y)})"
    B = lambda x, y: f"add(b, {32 * (x + 5 * y)})"
    # theta: column parities, then D[x] = C[x-1] ^ rol(C[x+1], 1), kept in scratch d
    for x in range(5):
        terms = [f"mload({A(x, y)})" for y in range(5)]
        o.append(f"mstore(add(d, {32 * x}), xor(xor(xor({terms[0]}, {terms[1]}), xor({terms[2]}, {terms[3]})), {terms[4]}))")
    for x in range(5):
        o.append(f"{{ let c := mload(add(d, {32 * ((x + 1) % 5)})) mstore(add(d, {160 + 32 * x}), xor(mload(add(d, {32 * ((x - 1) % 5)})), {rol('c', 1)})) }}")
    # rho + pi: B[y][2x+3y] = rol(A[x][y] ^ D[x], r[x][y])
    for x in range(5):
        for y in range(5):
            o.append(f"{{ let v := xor(mload({A(x, y)}), mload(add(d, {160 + 32 * x}))) mstore({B(y, (2 * x + 3 * y) % 5)}, {rol('v', ROT[x][y])}) }}")
    # chi: A[x][y] = B[x][y] ^ (~B[x+1][y] & B[x+2][y])
    for y in range(5):
        for x in range(5):
            o.append(f"mstore({A(x, y)}, xor(mload({B(x, y)}), and(not(mload({B((x + 1) % 5, y)})), mload({B((x + 2) % 5, y)}))))")
    print("\n".join("                " + l for l in o))


def rc():
    out, r = [], 1
    for _ in range(24):
        c = 0
        for j in range(7):
            bit = r & 1
            r = ((r << 1) ^ (0x71 if r & 0x80 else 0)) & 0xff
            if bit:
                c |= 1 << ((1 << j) - 1)
        out.append(c)
    print("hex\"" + "".join(f"{c:016x}" for c in out) + "\"")


def zetas():
    q, z = 8380417, 1753
    brv = lambda m: int(f"{m:08b}"[::-1], 2)
    print("hex\"" + "".join(f"{pow(z, brv(m), q):06x}" for m in range(256)) + "\"")


{"keccak": keccak, "rc": rc, "zetas": zetas}[sys.argv[1]]()
