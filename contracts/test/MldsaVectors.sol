// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {TestBase} from "./Vm.sol";
import {MLDSA87} from "../src/MLDSA87.sol";
import {MldsaHarness} from "./MldsaHarness.sol";

/// Runs one vectors/mldsa/<name>.json case (tools/mldsa-vectors.js).
abstract contract MldsaVectors is TestBase {
    event log_named_uint(string key, uint256 val);

    MldsaHarness internal h;

    function setUp() public virtual {
        h = new MldsaHarness();
    }

    function _file(string memory name) internal view returns (string memory) {
        return vm.readFile(string.concat("vectors/mldsa/", name, ".json"));
    }

    /// Installs the case's reference expansion as data contracts (0x00 || data).
    function _install(string memory j, uint256 salt) internal returns (MLDSA87.Key memory key) {
        bytes memory tr = vm.parseJsonBytes(j, ".tr");
        bytes32 t0;
        bytes32 t1;
        assembly {
            t0 := mload(add(tr, 32))
            t1 := mload(add(tr, 64))
        }
        key.tr0 = t0;
        key.tr1 = t1;
        key.t1Hat = address(uint160(0xA000000 + salt * 16));
        vm.etch(key.t1Hat, bytes.concat(hex"00", vm.parseJsonBytes(j, ".t1hat")));
        for (uint256 r = 0; r < 8; r++) {
            key.rows[r] = address(uint160(0xA000000 + salt * 16 + 1 + r));
            vm.etch(key.rows[r], bytes.concat(hex"00", vm.parseJsonBytes(j, string.concat(".rows[", vm.toString(r), "]"))));
        }
    }

    function _run(string memory name) internal {
        string memory j = _file(name);
        MLDSA87.Key memory key = _install(j, 1);
        bytes memory sig = vm.parseJsonBytes(j, ".sig");
        uint256 mode = vm.parseJsonUint(j, ".mode");
        bool want = vm.parseJsonBool(j, ".ok");
        uint256 g = gasleft();
        bool got;
        if (mode == 0) {
            got = h.verify(key, vm.parseJsonBytes(j, ".msg"), vm.parseJsonBytes(j, ".ctx"), sig);
        } else if (mode == 1) {
            got = h.verifyInternal(key, vm.parseJsonBytes(j, ".mprime"), sig);
        } else {
            got = h.verifyMu(key, vm.parseJsonBytes(j, ".mu"), sig);
        }
        g -= gasleft();
        emit log_named_uint("verify gas", g);
        assertTrue(got == want, string.concat(name, ": ", vm.parseJsonString(j, ".reason")));
    }
}
