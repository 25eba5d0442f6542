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
    """Round body: theta's D in stack variables, chi row by row from stack copies of B."""
    o = []
    A = lambda x, y: f"add(s, {32 * (x + 5 * y)})"
    B = lambda x, y: f"add(b, {32 * (x + 5 * y)})"
    o.append("let d0, d1, d2, d3, d4")
    o.append("{")
    for x in range(5):
        t = [f"mload({A(x, y)})" for y in range(5)]
        o.append(f"    let c{x} := xor(xor(xor({t[0]}, {t[1]}), xor({t[2]}, {t[3]})), {t[4]})")
    for x in range(5):
        o.append(f"    d{x} := xor(c{(x - 1) % 5}, {rol(f'c{(x + 1) % 5}', 1)})")
    o.append("}")
    # rho, pi and chi fused, one output row at a time into the other buffer (b):
    # B[X][Y] = rol(A[x][y] ^ D[x], r[x][y]) with X = y, Y = 2x + 3y, i.e. x = 3 (Y - 3X), y = X
    for Y in range(5):
        o.append("{")
        for X in range(5):
            x, y = (3 * (Y - 3 * X)) % 5, X
            o.append(f"    let b{X} := xor(mload({A(x, y)}), d{x})")
            if ROT[x][y]:
                o.append(f"    b{X} := {rol(f'b{X}', ROT[x][y])}")
        for X in range(5):
            v = f"xor(b{X}, and(not(b{(X + 1) % 5}), b{(X + 2) % 5}))"
            if X == 0 and Y == 0:
                v = f"xor({v}, mload(rc))"
            o.append(f"    mstore({B(X, Y)}, {v})")
        o.append("}")
    # the output buffer becomes the state
    o.append("{ let t := s s := b b := t }")
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


def _primes(n):
    ps, c = [], 2
    while len(ps) < n:
        if all(c % p for p in ps):
            ps.append(c)
        c += 1
    return ps


def _iroot(x, k):
    lo, hi = 0, 1 << (x.bit_length() // k + 1)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if mid ** k <= x:
            lo = mid
        else:
            hi = mid - 1
    return lo


def sha512_consts():
    """FIPS 180-4: K = frac(cbrt(p)) and IV = frac(sqrt(p)), 64 bits each."""
    ps = _primes(80)
    K = [_iroot(p << 192, 3) & ((1 << 64) - 1) for p in ps]
    IV = [_iroot(p << 128, 2) & ((1 << 64) - 1) for p in ps[:8]]
    return K, IV


def sha512():
    """Unrolled SHA-512 compression body (Yul): state words a..h on the stack."""
    K, _ = sha512_consts()
    # Two 64-bit lanes per word, at bits 0 and 128 (the gaps take the carries), so one
    # compression body runs two independent messages at the cost of one.
    # The lane mask (two lanes) lives in scratch word 0x00 (the caller stores it): a PUSH24
    # per use would make the body too large for a contract (EIP-170).
    M = "mload(0)"
    D = "0x10000000000000001"
    o = []
    # message schedule: w[0..15] already loaded big-endian into words at w
    for t in range(16, 80):
        o.append(f"{{ let x := mload(add(w, {32 * (t - 2)})) let y := mload(add(w, {32 * (t - 15)})) "
                 f"let xx := mul(x, {D}) let yy := mul(y, {D}) "
                 f"mstore(add(w, {32 * t}), and(add(add(and(xor(xor(shr(19, xx), shr(61, xx)), shr(6, x)), {M}), mload(add(w, {32 * (t - 7)}))), "
                 f"add(and(xor(xor(shr(1, yy), shr(8, yy)), shr(7, y)), {M}), mload(add(w, {32 * (t - 16)})))), {M})) }}")
    n = list("abcdefgh")
    for t in range(80):
        a, b, c, d, e, f, g, h = n
        o.append(f"{{ let ee := mul({e}, {D}) let t1 := add(add(add({h}, and(xor(xor(shr(14, ee), shr(18, ee)), shr(41, ee)), {M})), "
                 f"xor({g}, and({e}, xor({f}, {g})))), add(0x{K[t]:016x}{0:016x}{K[t]:016x}, mload(add(w, {32 * t})))) "
                 f"let aa := mul({a}, {D}) "
                 f"{d} := and(add({d}, t1), {M}) "
                 f"{h} := and(add(add(t1, and(xor(xor(shr(28, aa), shr(34, aa)), shr(39, aa)), {M})), or(and({a}, {b}), and({c}, or({a}, {b})))), {M}) }}")
        n = [h, a, b, c, d, e, f, g]
    print("\n".join("            " + l for l in o))


def sha512iv():
    _, IV = sha512_consts()
    print(", ".join(f"0x{v:016x}" for v in IV))


{"keccak": keccak, "rc": rc, "zetas": zetas, "sha512": sha512, "sha512iv": sha512iv}[sys.argv[1]]()
