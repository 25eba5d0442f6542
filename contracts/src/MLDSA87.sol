// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {Keccak} from "./Keccak.sol";

/// ML-DSA-87 verification, FIPS 204 Algorithm 8 (ML-DSA.Verify_internal) behind Algorithm 3
/// (the pure external interface: M' = 0x00 || len(ctx) || ctx || M), on a public key
/// pre-expanded at registration: A-hat (ExpandA, Algorithm 32) one row per data contract,
/// NTT(t1 * 2^d) in another, and tr = H(pk, 64). Coefficients are stored as 3-byte
/// big-endian integers in [0, q); poly i of a blob starts at byte 768 * i.
///
/// Arithmetic: one coefficient per 32-byte memory word; the NTTs reduce lazily (every
/// product goes through mulmod; sums stay far below 2^256), values are reduced mod q only
/// where a decision depends on them (UseHint).
library MLDSA87 {
    uint256 internal constant Q = 8380417;
    uint256 internal constant PK_BYTES = 2592;
    uint256 internal constant SIG_BYTES = 4627;
    uint256 internal constant ROW_BYTES = 5376; // l = 7 polys of 256 x 3 bytes
    uint256 internal constant T1_BYTES = 6144; // k = 8 polys of 256 x 3 bytes
    uint256 internal constant POLY = 8192; // one poly in memory: 256 words

    /// zetas[m] = 1753^brv8(m) mod q, 3 bytes each (tools/gen_tables.py zetas).
    bytes internal constant ZETAS =
        hex"000001495e023975673965694f062b53df734fe0334f066b76b1ae360dd528edb0207fe439728370894a0881926d3dc84c729441e0b428a3d266528a4a18a77940340a52ee6b7d814e9f1d1a28772571df1649ee7611bd492bb72af69722d8d536f72a30911e29d13f49267350685f2010a23887f711b2c30603a40e2bed10b72c4a5f351f9d15428cd43177f420e612341c1d1ad87373668149553f3952f662564a65ad05439a1c53aa5f30b622087f383b0e6d2c83da1c496e330e2b1c5b702ee3f1137eb957a9303ac6ef3fd54c4eb2ea503ee17bb1752648b41ef2561d90a245a6d42ae59b52589c6ef1f53f7288175102075d591187ba52aca9773e9e0296d82592ec4cff12404ce84aa5821e54e64f16c11a7e7903978f4e481731b8595884cc1b48275b63d05d787a35225e400c7e6c09d15bd5326bc4d3258ecb2e534c097a6c3b88206d285c2ca4f8337caa14b2a055853628f18655795d4af670234a8675e82678de6605528c7adf590f6e175bf3da459b7e628b345dbecb1a9e7b0006d96257c5574b3c69a8ef28983864b5fe7ef8f52a4e78120a230154a809b7ff435e87437ff85cd5b44dc04e4728af7f735d0c8d0d0f66d55a6d8061ab98185d96437f314682986629604bd57928de06465d8d49b0e309b4347c0db35a68b0409ba964d3d521762a658591246e3948c39b7bc7594f5859392db223092312eb67454df230c31c28542413232e7faf802dbfcb022a0b7e832c26587a6b3375095b766be1cc5e061e78e00d628c373da6044ae53c1f1d686330bb7361b85ea06c671ac7201fc65ba4ff60d77208f2016de024080e6d56038e6956881e6d3e2603bd6a9dfa07c0176dbfd474d0bd63e1e35195737ab60d2867ba2decd458018c3f4cf50b7009427e233cbd372733336739571a4b5d1969261ef20611c14e4c76c83cf42f7fb19a6af66c2e16693352d6034760085260741e782f63166f0a1107c0f1776d0b0d1ff03458240223d468c5595e88852faa3223fc655e694251e0ed65adb32ca5e679e1fe7b406435e1dd433aac464ade1cfe1473f1ce10170e74b6d7";

    function _alloc(uint256 n) private pure returns (uint256 p) {
        assembly ("memory-safe") {
            p := mload(0x40)
            mstore(0x40, add(p, n))
            calldatacopy(p, calldatasize(), n) // zeroed
        }
    }

    function _zetas() private pure returns (uint256 zt) {
        zt = _alloc(POLY);
        bytes memory z = ZETAS;
        assembly ("memory-safe") {
            let src := add(z, 32)
            for { let m := 0 } lt(m, 256) { m := add(m, 1) } {
                mstore(add(zt, shl(5, m)), shr(232, mload(add(src, mul(m, 3)))))
            }
        }
    }

    /// NTT (FIPS 204 Algorithm 41) in place, two layers per pass (each group of four
    /// coefficients is loaded once for four butterflies); inputs below 2^40, outputs
    /// below 2^45, not reduced (every product goes through mulmod; a - t is a + q - t).
    function ntt(uint256 p, uint256 zt) internal pure {
        assembly ("memory-safe") {
            for { let lg := 0 } lt(lg, 8) { lg := add(lg, 2) } {
                let len := shr(lg, 128) // the first layer's distance; the second's is len / 2
                let hB := shl(4, len) // (len / 2) * 32 bytes
                let lenB := shl(5, len)
                let nb := shl(lg, 1)
                for { let k := 0 } lt(k, nb) { k := add(k, 1) } {
                    let z1 := mload(add(zt, shl(5, add(nb, k))))
                    let z2 := add(zt, shl(6, add(nb, k))) // zetas[2 nb + 2k] and [.. + 1]
                    let z2a := mload(z2)
                    let z2b := mload(add(z2, 32))
                    let j := add(p, shl(6, mul(k, len)))
                    for { let end := add(j, hB) } lt(j, end) { j := add(j, 32) } {
                        let a0 := mload(j)
                        let a1 := mload(add(j, hB))
                        let a2 := mulmod(z1, mload(add(j, lenB)), 8380417)
                        let a3 := mulmod(z1, mload(add(add(j, lenB), hB)), 8380417)
                        // layer 1: (a0, a2), (a1, a3) by z1
                        let t := a2
                        a2 := sub(add(a0, 8380417), t)
                        a0 := add(a0, t)
                        t := a3
                        a3 := sub(add(a1, 8380417), t)
                        a1 := add(a1, t)
                        // layer 2: (a0, a1) by z2a, (a2, a3) by z2b
                        t := mulmod(z2a, a1, 8380417)
                        mstore(add(j, hB), sub(add(a0, 8380417), t))
                        mstore(j, add(a0, t))
                        t := mulmod(z2b, a3, 8380417)
                        mstore(add(add(j, lenB), hB), sub(add(a2, 8380417), t))
                        mstore(add(j, lenB), add(a2, t))
                    }
                }
            }
        }
    }

    /// Inverse NTT (FIPS 204 Algorithm 42) without the final scaling by 256^-1 (the caller
    /// folds it in), two layers per pass; inputs below 2^40.
    function invNttNoScale(uint256 p, uint256 zt) internal pure {
        assembly ("memory-safe") {
            // t - u + 2^20 q stays positive: every value here is below 2^36
            for { let len := 1 } lt(len, 256) { len := shl(2, len) } {
                let lenB := shl(5, len)
                let nb := div(128, len) // blocks of the first layer
                for { let bb := 0 } lt(bb, shr(1, nb)) { bb := add(bb, 1) } {
                    let za := sub(8380417, mload(add(zt, shl(5, sub(sub(shl(1, nb), 1), shl(1, bb))))))
                    let zb := sub(8380417, mload(add(zt, shl(5, sub(sub(shl(1, nb), 2), shl(1, bb))))))
                    let zc := sub(8380417, mload(add(zt, shl(5, sub(sub(nb, 1), bb)))))
                    let j := add(p, shl(7, mul(bb, len)))
                    for { let end := add(j, lenB) } lt(j, end) { j := add(j, 32) } {
                        let a0 := mload(j)
                        let a1 := mload(add(j, lenB))
                        let a2 := mload(add(j, shl(1, lenB)))
                        let a3 := mload(add(j, mul(3, lenB)))
                        let t := a0
                        a0 := add(t, a1)
                        a1 := mulmod(za, sub(add(t, 0x7fe00100000), a1), 8380417)
                        t := a2
                        a2 := add(t, a3)
                        a3 := mulmod(zb, sub(add(t, 0x7fe00100000), a3), 8380417)
                        mstore(j, add(a0, a2))
                        mstore(add(j, shl(1, lenB)), mulmod(zc, sub(add(a0, 0x7fe00100000), a2), 8380417))
                        mstore(add(j, lenB), add(a1, a3))
                        mstore(add(j, mul(3, lenB)), mulmod(zc, sub(add(a1, 0x7fe00100000), a3), 8380417))
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- registration

    /// tr = H(pk, 64) (FIPS 204 Algorithm 8 line 6 / Algorithm 6).
    function computeTr(bytes calldata pk) internal pure returns (bytes32 tr0, bytes32 tr1) {
        uint256 buf = _alloc(PK_BYTES);
        assembly ("memory-safe") {
            calldatacopy(buf, pk.offset, 2592)
        }
        uint256 k = Keccak.alloc();
        (tr0, tr1) = Keccak.shake256x64(k, buf, PK_BYTES);
    }

    /// NTT(t1 * 2^d) for the k = 8 polys of t1 (pkDecode, Algorithm 23), packed 3 bytes each.
    function computeT1Hat(bytes calldata pk) internal pure returns (bytes memory out) {
        uint256 zt = _zetas();
        uint256 p = _alloc(POLY);
        out = new bytes(T1_BYTES + 32);
        assembly ("memory-safe") {
            mstore(out, 6144)
        }
        for (uint256 i = 0; i < 8; i++) {
            assembly ("memory-safe") {
                let src := add(add(pk.offset, 32), mul(i, 320))
                for { let t := 0 } lt(t, 64) { t := add(t, 1) } {
                    let w := calldataload(add(src, mul(t, 5)))
                    let b1 := byte(1, w)
                    let b2 := byte(2, w)
                    let b3 := byte(3, w)
                    let d := add(p, shl(7, t))
                    // coefficient * 2^13
                    mstore(d, shl(13, or(byte(0, w), shl(8, and(b1, 3)))))
                    mstore(add(d, 32), shl(13, or(shr(2, b1), shl(6, and(b2, 15)))))
                    mstore(add(d, 64), shl(13, or(shr(4, b2), shl(4, and(b3, 63)))))
                    mstore(add(d, 96), shl(13, or(shr(6, b3), shl(2, byte(4, w)))))
                }
            }
            ntt(p, zt);
            assembly ("memory-safe") {
                let dst := add(add(out, 32), mul(i, 768))
                for { let c := 0 } lt(c, 256) { c := add(c, 1) } {
                    mstore(add(dst, mul(c, 3)), shl(232, mod(mload(add(p, shl(5, c))), 8380417)))
                }
            }
        }
        assembly ("memory-safe") {
            mstore(out, 6144)
        }
    }

    /// Row r of A-hat = ExpandA(rho) (Algorithm 32): A[r][s] = RejNTTPoly(rho || s || r),
    /// RejNTTPoly (Algorithm 30) over SHAKE128, CoeffFromThreeBytes (Algorithm 14).
    function expandRow(bytes32 rho, uint256 r) internal pure returns (bytes memory out) {
        out = new bytes(ROW_BYTES + 32);
        uint256 k = Keccak.alloc();
        uint256 seed = _alloc(64);
        for (uint256 s = 0; s < 7; s++) {
            assembly ("memory-safe") {
                mstore(seed, rho)
                mstore8(add(seed, 32), s)
                mstore8(add(seed, 33), r)
            }
            Keccak.reset(k);
            Keccak.absorbAll(k, Keccak.RATE128, seed, 34);
            uint256 j = 0;
            uint256 dst;
            assembly ("memory-safe") {
                dst := add(add(out, 32), mul(s, 768))
            }
            while (true) {
                uint256 blk = Keccak.squeezeBlock(k, Keccak.RATE128);
                assembly ("memory-safe") {
                    for { let o := 0 } and(lt(o, 168), lt(j, 256)) { o := add(o, 3) } {
                        let w := mload(add(blk, o))
                        let z := or(or(byte(0, w), shl(8, byte(1, w))), shl(16, and(byte(2, w), 0x7f)))
                        if lt(z, 8380417) {
                            mstore(add(dst, mul(j, 3)), shl(232, z))
                            j := add(j, 1)
                        }
                    }
                }
                if (j == 256) break;
                Keccak.permute(k);
            }
        }
        assembly ("memory-safe") {
            mstore(out, 5376)
        }
    }

    // ---------------------------------------------------------------- verification

    struct Key {
        bytes32 tr0;
        bytes32 tr1;
        address t1Hat;
        address[8] rows;
    }

    /// Memory of one verification.
    struct Mem {
        uint256 zt; // zetas
        uint256 k; // sponge
        uint256 zh; // NTT(z), 7 polys
        uint256 ch; // NTT(c)
        uint256 w; // one row of w'
        uint256 row; // one row of A-hat, packed
        uint256 t1; // NTT(t1 2^d), packed
        uint256 hint; // 8 x 256 bytes, 0/1
        uint256 hbuf; // mu || w1Encode(w1')
    }

    /// ML-DSA.Verify(pk, M, sig, ctx) (Algorithm 3, pure) for a registered key. False for
    /// any malformed signature or context (FIPS 204 returns false, it does not fail).
    function verify(Key memory key, bytes calldata m, bytes calldata ctx, bytes calldata sig)
        internal
        view
        returns (bool)
    {
        if (ctx.length > 255) return false;
        uint256 n = 2 + ctx.length + m.length;
        uint256 mp = _alloc(n + 32);
        assembly ("memory-safe") {
            mstore8(mp, 0)
            mstore8(add(mp, 1), ctx.length)
            calldatacopy(add(mp, 2), ctx.offset, ctx.length)
            calldatacopy(add(add(mp, 2), ctx.length), m.offset, m.length)
        }
        return verifyInternal(key, mp, n, sig);
    }

    /// ML-DSA.Verify_internal (Algorithm 8) on M' at memory [mp, mp + n).
    function verifyInternal(Key memory key, uint256 mp, uint256 n, bytes calldata sig)
        internal
        view
        returns (bool)
    {
        uint256 k = Keccak.alloc();
        uint256 buf = _alloc(64 + n + 32);
        bytes32 tr0 = key.tr0;
        bytes32 tr1 = key.tr1;
        assembly ("memory-safe") {
            mstore(buf, tr0)
            mstore(add(buf, 32), tr1)
            mcopy(add(buf, 64), mp, n)
        }
        (bytes32 mu0, bytes32 mu1) = Keccak.shake256x64(k, buf, 64 + n);
        return verifyMu(key, mu0, mu1, sig);
    }

    /// Algorithm 8 from line 7 on, given mu = H(tr || M', 64) ("external mu").
    function verifyMu(Key memory key, bytes32 mu0, bytes32 mu1, bytes calldata sig) internal view returns (bool) {
        if (sig.length != SIG_BYTES) return false;
        Mem memory x;
        x.zt = _zetas();
        x.k = Keccak.alloc();
        x.zh = _alloc(7 * POLY);
        x.ch = _alloc(POLY);
        x.w = _alloc(POLY);
        x.row = _alloc(ROW_BYTES + 32);
        x.t1 = _alloc(T1_BYTES + 32);
        x.hint = _alloc(2048 + 32);
        x.hbuf = _alloc(64 + 1024 + 32);

        if (!_hintUnpack(x.hint, sig)) return false;
        if (!_zUnpack(x.zh, sig)) return false;
        for (uint256 j = 0; j < 7; j++) {
            ntt(x.zh + j * POLY, x.zt);
        }
        {
            uint256 hb = x.hbuf;
            assembly ("memory-safe") {
                mstore(hb, mu0)
                mstore(add(hb, 32), mu1)
            }
        }
        _sampleInBall(x, sig);
        ntt(x.ch, x.zt);

        address t1a = key.t1Hat;
        uint256 t1p = x.t1;
        assembly ("memory-safe") {
            extcodecopy(t1a, t1p, 1, 6144)
        }
        for (uint256 i = 0; i < 8; i++) {
            address ra = key.rows[i];
            uint256 rp = x.row;
            assembly ("memory-safe") {
                extcodecopy(ra, rp, 1, 5376)
            }
            _row(x, i);
            invNttNoScale(x.w, x.zt);
            _useHintPack(x, i);
        }
        (bytes32 c0, bytes32 c1) = Keccak.shake256x64(x.k, x.hbuf, 64 + 1024);
        bytes32 s0;
        bytes32 s1;
        assembly ("memory-safe") {
            s0 := calldataload(sig.offset)
            s1 := calldataload(add(sig.offset, 32))
        }
        return c0 == s0 && c1 == s1;
    }

    /// HintBitUnpack (Algorithm 21) into 8 x 256 flag bytes; false where FIPS 204 returns bottom.
    function _hintUnpack(uint256 hint, bytes calldata sig) private pure returns (bool ok) {
        assembly ("memory-safe") {
            let y := add(sig.offset, 4544)
            ok := 1
            let idx := 0
            for { let i := 0 } lt(i, 8) { i := add(i, 1) } {
                let lim := byte(0, calldataload(add(y, add(75, i))))
                if or(lt(lim, idx), gt(lim, 75)) { ok := 0 }
                let first := idx
                for {} lt(idx, lim) { idx := add(idx, 1) } {
                    let cur := byte(0, calldataload(add(y, idx)))
                    if gt(idx, first) {
                        if iszero(lt(byte(0, calldataload(add(y, sub(idx, 1)))), cur)) { ok := 0 }
                    }
                    mstore8(add(hint, add(shl(8, i), cur)), 1)
                }
            }
            for {} lt(idx, 75) { idx := add(idx, 1) } {
                if byte(0, calldataload(add(y, idx))) { ok := 0 }
            }
        }
    }

    /// z = BitUnpack(., gamma1 - 1, gamma1) (Algorithm 19 via 27) as gamma1 - r mod q, and
    /// the norm check ||z||_inf < gamma1 - beta, i.e. beta < r < 2 gamma1 - beta.
    function _zUnpack(uint256 zh, bytes calldata sig) private pure returns (bool ok) {
        assembly ("memory-safe") {
            let bad := 0
            for { let j := 0 } lt(j, 7) { j := add(j, 1) } {
                let src := add(add(sig.offset, 64), mul(j, 640))
                let dst := add(zh, shl(13, j))
                for { let t := 0 } lt(t, 128) { t := add(t, 1) } {
                    let w := calldataload(add(src, mul(t, 5)))
                    let b2 := byte(2, w)
                    let r0 := or(or(byte(0, w), shl(8, byte(1, w))), shl(16, and(b2, 15)))
                    let r1 := or(or(shr(4, b2), shl(4, byte(3, w))), shl(12, byte(4, w)))
                    bad := or(bad, or(or(lt(r0, 121), gt(r0, 1048455)), or(lt(r1, 121), gt(r1, 1048455))))
                    let d := add(dst, shl(6, t))
                    mstore(d, sub(8904705, r0)) // q + gamma1 - r
                    mstore(add(d, 32), sub(8904705, r1))
                }
            }
            ok := iszero(bad)
        }
    }

    /// SampleInBall (Algorithm 29) from c~ = sig[0..64] into x.ch (coefficients 0, 1, q-1).
    function _sampleInBall(Mem memory x, bytes calldata sig) private pure {
        uint256 k = x.k;
        uint256 buf = _alloc(96);
        assembly ("memory-safe") {
            calldatacopy(buf, sig.offset, 64)
        }
        Keccak.reset(k);
        Keccak.absorbAll(k, Keccak.RATE256, buf, 64);
        uint256 signs;
        assembly ("memory-safe") {
            signs := mload(k) // lane 0 = the first 8 output bytes, little-endian
        }
        uint256 blk = Keccak.squeezeBlock(k, Keccak.RATE256);
        uint256 pos = 8;
        uint256 i = 196; // 256 - tau
        uint256 c = x.ch;
        while (true) {
            assembly ("memory-safe") {
                for {} and(lt(pos, 136), lt(i, 256)) { pos := add(pos, 1) } {
                    let j := byte(0, mload(add(blk, pos)))
                    if iszero(gt(j, i)) {
                        mstore(add(c, shl(5, i)), mload(add(c, shl(5, j))))
                        mstore(add(c, shl(5, j)), add(1, mul(and(signs, 1), 8380415)))
                        signs := shr(1, signs)
                        i := add(i, 1)
                    }
                }
            }
            if (i == 256) break;
            Keccak.permute(k);
            blk = Keccak.squeezeBlock(k, Keccak.RATE256);
            pos = 0;
        }
    }

    /// w[c] = sum_j A[i][j][c] * zh[j][c] - ch[c] * t1hat[i][c]   (unreduced, below 9q)
    function _row(Mem memory x, uint256 i) private pure {
        uint256 w = x.w;
        uint256 zh = x.zh;
        uint256 row = x.row;
        uint256 ch = x.ch;
        uint256 t1 = add3(x.t1, i * 768);
        assembly ("memory-safe") {
            for { let c := 0 } lt(c, 256) { c := add(c, 1) } {
                let zc := add(zh, shl(5, c))
                let ac := add(row, mul(c, 3))
                let acc := mulmod(shr(232, mload(ac)), mload(zc), 8380417)
                acc := add(acc, mulmod(shr(232, mload(add(ac, 768))), mload(add(zc, 8192)), 8380417))
                acc := add(acc, mulmod(shr(232, mload(add(ac, 1536))), mload(add(zc, 16384)), 8380417))
                acc := add(acc, mulmod(shr(232, mload(add(ac, 2304))), mload(add(zc, 24576)), 8380417))
                acc := add(acc, mulmod(shr(232, mload(add(ac, 3072))), mload(add(zc, 32768)), 8380417))
                acc := add(acc, mulmod(shr(232, mload(add(ac, 3840))), mload(add(zc, 40960)), 8380417))
                acc := add(acc, mulmod(shr(232, mload(add(ac, 4608))), mload(add(zc, 49152)), 8380417))
                let ct := mulmod(shr(232, mload(add(t1, mul(c, 3)))), mload(add(ch, shl(5, c))), 8380417)
                mstore(add(w, shl(5, c)), sub(add(acc, 8380417), ct))
            }
        }
    }

    function add3(uint256 a, uint256 b) private pure returns (uint256) {
        return a + b;
    }

    /// w1' = UseHint(h, w') (Algorithm 40, Decompose Algorithm 36 with 2 gamma2 = 523776),
    /// scaling by 256^-1 first, then w1Encode (Algorithm 28: 4 bits each) into hbuf.
    function _useHintPack(Mem memory x, uint256 i) private pure {
        uint256 w = x.w;
        uint256 hint = x.hint + i * 256;
        uint256 dst = x.hbuf + 64 + i * 128;
        assembly ("memory-safe") {
            function r1of(v, h) -> r1 {
                let r := mulmod(v, 8347681, 8380417)
                let a := mod(r, 523776)
                r1 := div(r, 523776)
                let pos := and(gt(a, 0), iszero(gt(a, 261888)))
                if gt(a, 261888) { r1 := add(r1, 1) }
                if eq(r1, 16) {
                    r1 := 0
                    pos := 0
                }
                if h {
                    switch pos
                    case 0 { r1 := and(add(r1, 15), 15) }
                    default { r1 := and(add(r1, 1), 15) }
                }
            }
            for { let c := 0 } lt(c, 256) { c := add(c, 2) } {
                let hw := mload(add(hint, c))
                let lo := r1of(mload(add(w, shl(5, c))), byte(0, hw))
                let hi := r1of(mload(add(w, shl(5, add(c, 1)))), byte(1, hw))
                mstore8(add(dst, shr(1, c)), or(lo, shl(4, hi)))
            }
        }
    }
}
