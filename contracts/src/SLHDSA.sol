// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {Sha512} from "./Sha512.sol";

/// SLH-DSA-SHA2-256s verification, FIPS 205: slh_verify (Algorithm 24, pure: M' = 0x00 ||
/// len(ctx) || ctx || M) over slh_verify_internal (Algorithm 20), in two parts so that
/// each fits one transaction under the EIP-7825 cap:
///   fors(): H_msg, the FORS indices, idx_tree / idx_leaf and the FORS public key
///           (Algorithms 16-17), from R and SIG_FORS;
///   ht():   the hypertree (Algorithms 13, 11, 8, 5) from a FORS public key, layers
///           [from, to), returning the node after layer to - 1 (after layer 7: the root).
/// Parameters (Table 2): n 32, h 64, d 8, h' 8, a 14, k 22, lg_w 4, m 47.
/// F = Trunc32(SHA-256(PK.seed || 0^32 || ADRSc || M1)) through the SHA-256 precompile;
/// H and T_l = Trunc32(SHA-512(PK.seed || 0^96 || ADRSc || M)) computed here, starting
/// from the state after the constant first block PK.seed || 0^96 (section 11.2.2).
library SLHDSA {
    uint256 internal constant SIG_BYTES = 29792;
    uint256 internal constant FORS_BYTES = 10560; // k (a + 1) n
    uint256 internal constant XMSS_BYTES = 2400; // (len + h') n
    uint256 internal constant HT_BYTES = 19200;

    // ADRS types
    uint256 internal constant WOTS_HASH = 0;
    uint256 internal constant WOTS_PK = 1;
    uint256 internal constant TREE = 2;
    uint256 internal constant FORS_TREE = 3;
    uint256 internal constant FORS_ROOTS = 4;

    struct Ctx {
        bytes32 seed;
        uint256 st; // SHA-512 state (8 words)
        uint256 mid; // state after PK.seed || 0^96
        uint256 mid2; // the same in both lanes
        uint256 w; // schedule (80 words)
        uint256 pad; // 256 bytes
        uint256 fbuf; // PK.seed || 0^32 || ADRSc || M1 (118 bytes)
        uint256 hblk; // second block of H: ADRSc || M2 || padding
        uint256 hblk2; // the same for lane 1
        uint256 tbuf; // ADRSc || the values T_l compresses (<= 22 + 67 * 32)
    }

    function _alloc(uint256 n) private pure returns (uint256 p) {
        assembly ("memory-safe") {
            p := mload(0x40)
            mstore(0x40, add(p, n))
            calldatacopy(p, calldatasize(), n)
        }
    }

    function init(bytes32 seed) internal pure returns (Ctx memory c) {
        c.seed = seed;
        c.st = _alloc(256);
        c.mid = _alloc(256);
        c.w = _alloc(2560);
        c.pad = _alloc(256);
        c.fbuf = _alloc(160);
        c.hblk = _alloc(160);
        c.hblk2 = _alloc(160);
        c.mid2 = _alloc(256);
        c.tbuf = _alloc(2240);
        uint256 blk = _alloc(128);
        uint256 fb = c.fbuf;
        assembly ("memory-safe") {
            mstore(blk, seed)
            mstore(fb, seed)
        }
        Sha512.init(c.mid);
        Sha512.compress(c.mid, blk, c.w);
        uint256 mid = c.mid;
        uint256 mid2 = c.mid2;
        assembly ("memory-safe") {
            for { let i := 0 } lt(i, 256) { i := add(i, 32) } {
                let v := and(mload(add(mid, i)), 0xffffffffffffffff)
                mstore(add(mid2, i), or(v, shl(128, v)))
            }
        }
    }

    /// ADRSc (section 11.2): layer (1) || tree (8) || type (1) || keypair (4) ||
    /// chain / height (4) || hash / index (4), in the top 22 bytes of a word.
    function adrs(uint256 layer, uint256 tree, uint256 typ, uint256 kp, uint256 ch, uint256 idx)
        internal pure returns (uint256)
    {
        return (layer << 248) | (tree << 184) | (typ << 176) | (kp << 144) | (ch << 112) | (idx << 80);
    }

    /// H(PK.seed, ADRS, l || r): one compression from the midstate.
    function h(Ctx memory c, uint256 ad, bytes32 l, bytes32 r) internal pure returns (bytes32 out) {
        uint256 st = c.st;
        uint256 mid = c.mid;
        uint256 blk = c.hblk;
        assembly ("memory-safe") {
            mcopy(st, mid, 256)
            mstore(blk, ad)
            mstore(add(blk, 22), l)
            mstore(add(blk, 54), r)
            mstore(add(blk, 86), shl(248, 0x80))
            mstore(add(blk, 96), 1712) // (128 + 86) * 8 bits
        }
        Sha512.compress(st, blk, c.w);
        assembly ("memory-safe") {
        }
        out = _lane(st, 0);
    }

    /// The first 32 bytes of the digest in lane (0 or 1) of a SHA-512 state.
    function _lane(uint256 st, uint256 lane) private pure returns (bytes32 out) {
        assembly ("memory-safe") {
            let sh := shl(7, lane)
            let m := 0xffffffffffffffff
            out := or(or(shl(192, and(shr(sh, mload(st)), m)), shl(128, and(shr(sh, mload(add(st, 32))), m))),
                      or(shl(64, and(shr(sh, mload(add(st, 64))), m)), and(shr(sh, mload(add(st, 96))), m)))
        }
    }

    /// T_l(PK.seed, ADRS, c.tbuf[22 .. 22 + 32 l]) with ADRSc written to c.tbuf[0 .. 22].
    function t(Ctx memory c, uint256 ad, uint256 l) internal pure returns (bytes32 out) {
        uint256 st = c.st;
        uint256 mid = c.mid;
        uint256 tb = c.tbuf;
        assembly ("memory-safe") {
            mcopy(st, mid, 256)
            // keep the 10 bytes after ADRSc (the first value's head)
            let keep := and(mload(add(tb, 22)), not(0))
            mstore(tb, ad)
            mstore(add(tb, 22), keep)
        }
        Sha512.finish(st, tb, 22 + 32 * l, 128, c.w, c.pad);
        assembly ("memory-safe") {
        }
        out = _lane(st, 0);
    }

    /// H_msg (section 11.2.2): MGF1-SHA-512(R || PK.seed || SHA-512(R || PK.seed || PK.root || M'), 47),
    /// M' at memory [mp, mp + n).
    function hMsg(Ctx memory c, bytes32 r, bytes32 root, uint256 mp, uint256 n)
        internal pure returns (bytes32 d0, bytes32 d1)
    {
        uint256 p = _alloc(n + 160);
        bytes32 seed = c.seed;
        assembly ("memory-safe") {
            mstore(p, r)
            mstore(add(p, 32), seed)
            mstore(add(p, 64), root)
            mcopy(add(p, 96), mp, n)
        }
        _sha512(c, p, 96 + n);
        (bytes32 i0, bytes32 i1) = Sha512.digest(c.st);
        assembly ("memory-safe") {
            mstore(add(p, 64), i0)
            mstore(add(p, 96), i1)
            mstore(add(p, 128), 0) // MGF1 counter 0 (4 bytes)
        }
        _sha512(c, p, 132);
        (d0, d1) = Sha512.digest(c.st);
    }

    function _sha512(Ctx memory c, uint256 p, uint256 n) private pure {
        Sha512.init(c.st);
        Sha512.finish(c.st, p, n, 0, c.w, c.pad);
    }

    /// M' = 0x00 || len(ctx) || ctx || M (Algorithm 22) in fresh memory.
    function mprimePure(bytes calldata ctx, bytes calldata m) internal pure returns (uint256 mp, uint256 n) {
        require(ctx.length <= 255);
        n = 2 + ctx.length + m.length;
        mp = _alloc(n + 32);
        assembly ("memory-safe") {
            mstore8(mp, 0)
            mstore8(add(mp, 1), ctx.length)
            calldatacopy(add(mp, 2), ctx.offset, ctx.length)
            calldatacopy(add(add(mp, 2), ctx.length), m.offset, m.length)
        }
    }

    struct Fors {
        bytes32 pk; // PK_FORS
        uint256 idxTree; // 56 bits
        uint256 idxLeaf; // 8 bits
    }

    /// Lines 1-12 of Algorithm 20 (up to ht_verify): sigHead = R || SIG_FORS.
    function fors(bytes32 seed, bytes32 root, uint256 mp, uint256 n, bytes calldata sigHead)
        internal view returns (Fors memory f)
    {
        require(sigHead.length == 32 + FORS_BYTES);
        Ctx memory c = init(seed);
        (bytes32 d0, bytes32 d1) = hMsg(c, bytes32(sigHead[0:32]), root, mp, n);
        // md = d[0 .. 39), idx_tree = d[39 .. 46), idx_leaf = d[46]
        f.idxTree = (uint256(d1) >> 144) & ((1 << 56) - 1); // d1 bytes 7 .. 13
        f.idxLeaf = (uint256(d1) >> 136) & 0xff; // d1 byte 14
        uint256 tb = c.tbuf;
        for (uint256 i = 0; i < 11; i++) {
            // trees i and i + 11 side by side, one per SHA-512 lane
            (bytes32 va, bytes32 vb) = _forsPair(c, f, i, _forsIndex(d0, d1, i), _forsIndex(d0, d1, i + 11), sigHead);
            assembly ("memory-safe") {
                mstore(add(tb, add(22, shl(5, i))), va)
                mstore(add(tb, add(22, shl(5, add(i, 11)))), vb)
            }
        }
        f.pk = t(c, adrs(0, f.idxTree, FORS_ROOTS, f.idxLeaf, 0, 0), 22);
    }

    /// indices[i] = bits [14 i, 14 i + 14) of md = digest[0 .. 39), most significant first (base_2b).
    function _forsIndex(bytes32 d0, bytes32 d1, uint256 i) private pure returns (uint256) {
        uint256 bit = 14 * i;
        if (bit + 14 <= 256) return (uint256(d0) >> (242 - bit)) & 0x3fff;
        if (bit >= 256) return (uint256(d1) >> (498 - bit)) & 0x3fff;
        return ((uint256(d0) << (bit + 14 - 256)) | (uint256(d1) >> (512 - bit - 14))) & 0x3fff;
    }

    /// Two FORS trees climbed side by side, one per SHA-512 lane.
    struct Pair {
        uint256 na; // tree index of tree A's current node
        uint256 nb;
        uint256 oa; // calldata offset of tree A's next authentication node
        uint256 ob;
        bytes32 va; // current node values
        bytes32 vb;
    }

    /// fors_pkFromSig's loop body (Algorithm 17 lines 2-18) for trees i and i + 11 at once.
    function _forsPair(Ctx memory c, Fors memory f, uint256 i, uint256 idxA, uint256 idxB, bytes calldata s)
        private view returns (bytes32, bytes32)
    {
        Pair memory p;
        p.na = (i << 14) | idxA;
        p.nb = ((i + 11) << 14) | idxB;
        uint256 base = adrs(0, f.idxTree, FORS_TREE, f.idxLeaf, 0, 0);
        uint256 oa = 32 + i * 480; // (a + 1) n per tree
        p.va = _f(c, base | (p.na << 80), bytes32(s[oa:oa + 32]));
        p.vb = _f(c, base | (p.nb << 80), bytes32(s[oa + 5280:oa + 5312]));
        assembly ("memory-safe") {
            mstore(add(p, 64), add(s.offset, add(oa, 32)))
            mstore(add(p, 96), add(s.offset, add(oa, 5312)))
        }
        for (uint256 j = 1; j <= 14; j++) {
            _pairStep(c, p, base | (j << 112));
        }
        return (p.va, p.vb);
    }

    /// One level of both trees: H(ADRS, node || auth) or H(ADRS, auth || node) by parity.
    function _pairStep(Ctx memory c, Pair memory p, uint256 ad) private pure {
        uint256 a = c.hblk;
        uint256 b = c.hblk2;
        uint256 st = c.st;
        uint256 mid2 = c.mid2;
        assembly ("memory-safe") {
            function fill(blk, adr, n, v, auth) {
                mstore(blk, or(adr, shl(80, shr(1, n))))
                switch and(n, 1)
                case 0 {
                    mstore(add(blk, 22), v)
                    mstore(add(blk, 54), auth)
                }
                default {
                    mstore(add(blk, 22), auth)
                    mstore(add(blk, 54), v)
                }
                mstore(add(blk, 86), shl(248, 0x80))
                mstore(add(blk, 96), 1712) // (128 + 86) * 8 bits
            }
            let na := mload(p)
            let nb := mload(add(p, 32))
            let oa := mload(add(p, 64))
            let ob := mload(add(p, 96))
            fill(a, ad, na, mload(add(p, 128)), calldataload(oa))
            fill(b, ad, nb, mload(add(p, 160)), calldataload(ob))
            mstore(p, shr(1, na))
            mstore(add(p, 32), shr(1, nb))
            mstore(add(p, 64), add(oa, 32))
            mstore(add(p, 96), add(ob, 32))
            mcopy(st, mid2, 256)
        }
        Sha512.compress2(st, a, b, c.w);
        p.va = _lane(st, 0);
        p.vb = _lane(st, 1);
    }

    /// F(PK.seed, ADRS, x) through the SHA-256 precompile.
    function _f(Ctx memory c, uint256 ad, bytes32 x) private view returns (bytes32 out) {
        uint256 fb = c.fbuf;
        assembly ("memory-safe") {
            mstore(add(fb, 64), ad)
            mstore(add(fb, 86), x)
            if iszero(staticcall(gas(), 2, fb, 118, add(fb, 86), 32)) { revert(0, 0) }
            out := mload(add(fb, 86))
        }
    }

    /// Where one XMSS tree of the hypertree sits.
    struct Pos {
        uint256 layer;
        uint256 tree;
        uint256 leaf;
    }

    /// ht_verify (Algorithm 13) layers [from, to): node is the FORS public key for from = 0,
    /// else the XMSS root of layer from - 1; idx_tree / idx_leaf as for layer 0 (each layer
    /// derives its own). sigHt: the whole SIG_HT.
    function ht(bytes32 seed, bytes32 node, Pos memory at, bytes calldata sigHt, uint256 from, uint256 to)
        internal view returns (bytes32)
    {
        require(sigHt.length == HT_BYTES && from < to && to <= 8 && at.layer == 0);
        Ctx memory c = init(seed);
        for (uint256 j = 0; j < to; j++) {
            if (j > 0) {
                at.layer = j;
                at.leaf = at.tree & 0xff;
                at.tree >>= 8;
            }
            if (j >= from) node = _xmss(c, at, sigHt[j * XMSS_BYTES:(j + 1) * XMSS_BYTES], node);
        }
        return node;
    }

    /// xmss_pkFromSig (Algorithm 11).
    function _xmss(Ctx memory c, Pos memory at, bytes calldata sig, bytes32 msg) private view returns (bytes32 node) {
        node = _wotsPk(c, at, sig, msg);
        uint256 idx = at.leaf;
        for (uint256 k = 0; k < 8; k++) {
            bytes32 auth = bytes32(sig[2144 + 32 * k:2176 + 32 * k]);
            uint256 ad = adrs(at.layer, at.tree, TREE, 0, k + 1, idx >> 1);
            node = idx & 1 == 0 ? h(c, ad, node, auth) : h(c, ad, auth, node);
            idx >>= 1;
        }
    }

    /// wots_pkFromSig (Algorithm 8) with chain (Algorithm 5): the 67 base-16 digits are
    /// the 64 nibbles of msg (high first) and 3 of the checksum << 4.
    function _wotsPk(Ctx memory c, Pos memory at, bytes calldata sig, bytes32 msg) private view returns (bytes32) {
        uint256 csum = 0;
        for (uint256 i = 0; i < 64; i++) {
            csum += 15 - ((uint256(msg) >> (252 - 4 * i)) & 15);
        }
        csum <<= 4; // digits 64..66: its nibbles from the top of 16 bits
        uint256 base = adrs(at.layer, at.tree, WOTS_HASH, at.leaf, 0, 0);
        uint256 fb = c.fbuf;
        uint256 tb = c.tbuf;
        assembly ("memory-safe") {
            for { let i := 0 } lt(i, 67) { i := add(i, 1) } {
                // ADRS: chain address i; the hash address byte is set per step
                mstore(add(fb, 64), or(base, shl(112, i)))
                calldatacopy(add(fb, 86), add(sig.offset, shl(5, i)), 32)
                let d := and(shr(sub(252, shl(2, i)), msg), 15)
                if gt(i, 63) { d := and(shr(sub(12, shl(2, sub(i, 64))), csum), 15) }
                for { let s := d } lt(s, 15) { s := add(s, 1) } {
                    mstore8(add(fb, 85), s)
                    if iszero(staticcall(gas(), 2, fb, 118, add(fb, 86), 32)) { revert(0, 0) }
                }
                mstore(add(tb, add(22, shl(5, i))), mload(add(fb, 86)))
            }
        }
        return t(c, adrs(at.layer, at.tree, WOTS_PK, at.leaf, 0, 0), 67);
    }

    /// slh_verify (Algorithm 24, pure) in one call; needs more gas than one transaction may
    /// carry under EIP-7825, so contracts use fors() and ht() in separate calls.
    function verify(bytes calldata pk, bytes calldata m, bytes calldata ctx, bytes calldata sig)
        internal view returns (bool)
    {
        if (pk.length != 64 || sig.length != SIG_BYTES || ctx.length > 255) return false;
        bytes32 seed = bytes32(pk[0:32]);
        (uint256 mp, uint256 n) = mprimePure(ctx, m);
        Fors memory f = fors(seed, bytes32(pk[32:64]), mp, n, sig[0:32 + FORS_BYTES]);
        return ht(seed, f.pk, Pos(0, f.idxTree, f.idxLeaf), sig[32 + FORS_BYTES:], 0, 8) == bytes32(pk[32:64]);
    }
}
