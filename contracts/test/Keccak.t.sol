// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;
import {TestBase} from "./Vm.sol";
import {Keccak} from "../src/Keccak.sol";

contract KeccakTest is TestBase {
    function shake(bytes memory m, uint256 rate) internal pure returns (bytes32) {
        uint256 k = Keccak.alloc();
        Keccak.reset(k);
        uint256 p;
        assembly { p := add(m, 32) }
        Keccak.absorbAll(k, rate, p, m.length);
        uint256 out = Keccak.squeezeBlock(k, rate);
        bytes32 r;
        assembly { r := mload(out) }
        return r;
    }

    function test_shake_empty() public pure {
        assertEq(shake("", 136), 0x46b9dd2b0ba88d13233b3feb743eeb243fcd52ea62b81b82b50c27646ed5762f, "SHAKE256('')");
        assertEq(shake("", 168), 0x7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26, "SHAKE128('')");
    }

    /// Keccak-256 through our permutation against the opcode, lengths around the rate.
    function test_keccak256_matches_opcode() public pure {
        bytes memory m = new bytes(700);
        for (uint256 i = 0; i < m.length; i++) m[i] = bytes1(uint8(i * 7 + 3));
        uint256[10] memory lens = [uint256(0), 1, 31, 135, 136, 137, 271, 272, 273, 700];
        for (uint256 t = 0; t < lens.length; t++) {
            uint256 n = lens[t];
            uint256 k = Keccak.alloc();
            Keccak.reset(k);
            uint256 p;
            assembly { p := add(m, 32) }
            Keccak.absorbAllDs(k, 136, p, n, 0x01);
            uint256 out = Keccak.squeezeBlock(k, 136);
            bytes32 r;
            bytes32 want;
            assembly { r := mload(out) want := keccak256(p, n) }
            assertEq(r, want, "keccak256 mismatch");
        }
    }

    function test_gas_permute() public pure {
        uint256 k = Keccak.alloc();
        Keccak.reset(k);
        Keccak.permute(k);
    }
}
