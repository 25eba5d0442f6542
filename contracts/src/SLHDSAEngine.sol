// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {SLHDSA} from "./SLHDSA.sol";

/// The SLH-DSA-SHA2-256s computations as their own contract (the SHA-512 body alone is
/// most of EIP-170's 24 KiB), called by PQCVerifier. Stateless and pure in effect.
contract SLHDSAEngine {
    /// H_msg and the FORS public key for M' = 0x00 || len(ctx) || ctx || message.
    function fors(bytes32 seed, bytes32 root, bytes calldata message, bytes calldata ctx, bytes calldata sigHead)
        external view returns (bytes32 forsPk, uint256 idxTree, uint256 idxLeaf)
    {
        (uint256 mp, uint256 n) = SLHDSA.mprimePure(ctx, message);
        SLHDSA.Fors memory f = SLHDSA.fors(seed, root, mp, n, sigHead);
        return (f.pk, f.idxTree, f.idxLeaf);
    }

    /// The same for an M' the caller built (HashSLH-DSA, or the internal interface).
    function forsInternal(bytes32 seed, bytes32 root, bytes calldata mprime, bytes calldata sigHead)
        external view returns (bytes32 forsPk, uint256 idxTree, uint256 idxLeaf)
    {
        uint256 p;
        assembly ("memory-safe") {
            p := mload(0x40)
            mstore(0x40, add(p, add(mprime.length, 32)))
            calldatacopy(p, mprime.offset, mprime.length)
        }
        SLHDSA.Fors memory f = SLHDSA.fors(seed, root, p, mprime.length, sigHead);
        return (f.pk, f.idxTree, f.idxLeaf);
    }

    /// Hypertree layers [from, to) (see SLHDSA.ht).
    function ht(bytes32 seed, bytes32 node, SLHDSA.Pos calldata at, bytes calldata sigHt, uint256 from, uint256 to)
        external view returns (bytes32)
    {
        return SLHDSA.ht(seed, node, at, sigHt, from, to);
    }
}
