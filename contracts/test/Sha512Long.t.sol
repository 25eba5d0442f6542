// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;
import {Sha512Test} from "./Sha512.t.sol";
contract Sha512LongTest is Sha512Test {
    function test_long() public {
        uint256[5] memory ns = [uint256(127), 128, 129, 300, 1000];
        // first 32 bytes of SHA-512 (Node's OpenSSL) of bytes i * 7 + 3
        bytes32[5] memory want = [
            bytes32(0xe0b6a20f1c0c88970a9340152cd5a1c1ecf3d3b8de5510274187943807947354),
            0x99b16f17aa0b969a5b8f08f367719d516e330ccd2660b6f0688ec031dbc783de,
            0xa1556e29185778aa5991e34b8884c840d589f0fbb4b8ed590e51e9ac4eb03a00,
            0x46e56ad30db9ef50f8b6762ba55839737f3fba34ab47863c9daff7b3f58f97fe,
            0x00e36fccf193e59697a92b5ab24666ce6326d7fa16bf10832d0991ddc591112e
        ];
        for (uint256 t = 0; t < 5; t++) {
            bytes memory m = new bytes(ns[t]);
            for (uint256 i = 0; i < m.length; i++) m[i] = bytes1(uint8(i * 7 + 3));
            (bytes32 a,) = sha512(m);
            assertEq(a, want[t], "long message");
        }
    }
}
