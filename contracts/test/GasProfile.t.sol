// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {TestBase} from "./Vm.sol";
import {Keccak} from "../src/Keccak.sol";
import {Sha512} from "../src/Sha512.sol";
import {MLDSA87} from "../src/MLDSA87.sol";

/// The primitives' gas, logged for docs/benchmarks.md (forge test --match-contract
/// GasProfile -vv) and held under budgets so a regression fails.
contract GasProfileTest is TestBase {
    event log_named_uint(string key, uint256 val);

    function test_primitives() public {
        uint256 k = Keccak.alloc();
        Keccak.reset(k);
        uint256 g = gasleft();
        Keccak.permute(k);
        g -= gasleft();
        emit log_named_uint("keccak-f[1600]", g);
        assertTrue(g < 110_000, "keccak-f budget");

        uint256 p;
        assembly {
            p := mload(0x40)
            mstore(0x40, add(p, 16384))
        }
        bytes memory zb = MLDSA87.ZETAS;
        uint256 zt = p + 8192;
        assembly {
            for { let m := 0 } lt(m, 256) { m := add(m, 1) } {
                mstore(add(zt, shl(5, m)), shr(232, mload(add(add(zb, 32), mul(m, 3)))))
            }
        }
        g = gasleft();
        MLDSA87.ntt(p, zt);
        g -= gasleft();
        emit log_named_uint("ML-DSA NTT", g);
        assertTrue(g < 180_000, "NTT budget");
        g = gasleft();
        MLDSA87.invNttNoScale(p, zt);
        g -= gasleft();
        emit log_named_uint("ML-DSA inverse NTT", g);
        assertTrue(g < 190_000, "inverse NTT budget");

        uint256 st;
        assembly {
            st := mload(0x40)
            mstore(0x40, add(st, 4096))
        }
        Sha512.init(st);
        g = gasleft();
        Sha512.compress(st, st + 1024, st + 1280);
        g -= gasleft();
        emit log_named_uint("SHA-512 compression (two lanes)", g);
        assertTrue(g < 40_000, "SHA-512 budget");
    }
}
