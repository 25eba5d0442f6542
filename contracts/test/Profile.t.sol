// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;
import {TestBase} from "./Vm.sol";
import {Keccak} from "../src/Keccak.sol";
import {Sha512} from "../src/Sha512.sol";
import {MLDSA87} from "../src/MLDSA87.sol";
contract ProfileTest is TestBase {
    event log_named_uint(string key, uint256 val);
    function test_profile() public {
        uint256 k = Keccak.alloc(); Keccak.reset(k);
        uint256 g = gasleft(); Keccak.permute(k); emit log_named_uint("keccak-f", g - gasleft());
        uint256 p; assembly { p := mload(0x40) mstore(0x40, add(p, 16384)) }
        bytes memory zb = MLDSA87.ZETAS; uint256 zt = p + 8192;
        assembly { for { let m := 0 } lt(m, 256) { m := add(m, 1) } { mstore(add(zt, shl(5, m)), shr(232, mload(add(add(zb,32), mul(m, 3))))) } }
        g = gasleft(); MLDSA87.ntt(p, zt); emit log_named_uint("ntt", g - gasleft());
        g = gasleft(); MLDSA87.invNttNoScale(p, zt); emit log_named_uint("intt", g - gasleft());
        uint256 st; assembly { st := mload(0x40) mstore(0x40, add(st, 4096)) }
        Sha512.init(st);
        g = gasleft(); Sha512.compress(st, st + 1024, st + 1280); emit log_named_uint("sha512 compress", g - gasleft());
    }
}
