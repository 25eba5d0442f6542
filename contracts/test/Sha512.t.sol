// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;
import {TestBase} from "./Vm.sol";
import {Sha512} from "../src/Sha512.sol";

contract Sha512Test is TestBase {
    event log_named_uint(string key, uint256 val);

    function sha512(bytes memory m) internal pure returns (bytes32 d0, bytes32 d1) {
        uint256 st;
        uint256 w;
        uint256 buf;
        uint256 p;
        assembly {
            st := mload(0x40)
            w := add(st, 256)
            buf := add(w, 2560)
            mstore(0x40, add(buf, 256))
            p := add(m, 32)
        }
        Sha512.init(st);
        Sha512.finish(st, p, m.length, 0, w, buf);
        return Sha512.digest(st);
    }

    function test_known_answers() public {
        (bytes32 a, bytes32 b) = sha512("abc");
        assertEq(a, 0xddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a, "abc 0");
        assertEq(b, 0x2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f, "abc 1");
        (a, b) = sha512("");
        assertEq(a, 0xcf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce, "empty 0");
        assertEq(b, 0x47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e, "empty 1");
        uint256 g = gasleft();
        (a, b) = sha512("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu");
        emit log_named_uint("sha512 two blocks gas", g - gasleft());
        assertEq(a, 0x8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018, "two-block 0");
        assertEq(b, 0x501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909, "two-block 1");
    }
}
