// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {SLHDSA} from "../src/SLHDSA.sol";

contract SlhHarness {
    function fors(bytes32 seed, bytes32 root, bytes calldata mprime, bytes calldata sigHead)
        external view returns (bytes32, uint256, uint256)
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

    function ht(bytes32 seed, bytes32 node, SLHDSA.Pos memory at, bytes calldata sigHt, uint256 from, uint256 to)
        external view returns (bytes32)
    {
        return SLHDSA.ht(seed, node, at, sigHt, from, to);
    }
}
