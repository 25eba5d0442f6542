// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {MldsaVectors} from "./MldsaVectors.sol";
import {PQCVerifier} from "../src/PQCVerifier.sol";
import {SLHDSAEngine} from "../src/SLHDSAEngine.sol";

/// The ML-DSA-87 registration session, one step per test transaction: what the contract
/// computes and deploys must equal the reference expansion of tools/mldsa-vectors.js
/// (which the verification tests run on). The whole session runs in real transactions on
/// anvil (scripts/e2e.sh).
contract PQCVerifierTest is MldsaVectors {
    PQCVerifier internal v;

    function setUp() public override {
        super.setUp();
        v = new PQCVerifier(new SLHDSAEngine());
    }

    function _begin(string memory j) internal returns (bytes32 id) {
        bytes memory pk = vm.parseJsonBytes(j, ".pk");
        uint256 g = gasleft();
        id = v.mldsaBegin(pk);
        emit log_named_uint("mldsaBegin gas", g - gasleft());
        assertEq(id, keccak256(pk), "keyId = keccak256(pk)");
    }

    function _blob(address a) internal view returns (bytes memory b) {
        b = new bytes(a.code.length - 1);
        assembly {
            extcodecopy(a, add(b, 32), 1, mload(b))
        }
    }

    function _row(uint256 r) internal {
        string memory j = _file("aegis-0");
        bytes32 id = _begin(j);
        uint256 g = gasleft();
        v.mldsaExpandRow(id, r);
        emit log_named_uint("mldsaExpandRow gas", g - gasleft());
        (,,,,, address[8] memory rows) = _state(id);
        bytes memory want = vm.parseJsonBytes(j, string.concat(".rows[", vm.toString(r), "]"));
        assertEq(keccak256(_blob(rows[r])), keccak256(want), "row r of A-hat");
        assertTrue(!v.mldsaReady(id), "not ready after one row");
    }

    function _state(bytes32 id)
        internal view returns (bytes32, bytes32, bytes32, address, uint8, address[8] memory rows)
    {
        for (uint256 r = 0; r < 8; r++) rows[r] = v.mldsaRowBlob(id, r);
        return (0, 0, 0, v.mldsaT1HatBlob(id), 0, rows);
    }

    function test_begin_t1hat_tr() public {
        string memory j = _file("aegis-1");
        bytes32 id = _begin(j);
        assertEq(keccak256(_blob(v.mldsaT1HatBlob(id))), keccak256(vm.parseJsonBytes(j, ".t1hat")), "NTT(t1 2^d)");
        (bytes32 t0, bytes32 t1) = v.mldsaTr(id);
        assertEq(keccak256(abi.encodePacked(t0, t1)), keccak256(vm.parseJsonBytes(j, ".tr")), "tr");
    }

    function test_row_0() public { _row(0); }
    function test_row_1() public { _row(1); }
    function test_row_2() public { _row(2); }
    function test_row_3() public { _row(3); }
    function test_row_4() public { _row(4); }
    function test_row_5() public { _row(5); }
    function test_row_6() public { _row(6); }
    function test_row_7() public { _row(7); }

    function test_refusals() public {
        string memory j = _file("aegis-2");
        bytes memory pk = vm.parseJsonBytes(j, ".pk");
        vm.expectRevert(abi.encodeWithSelector(PQCVerifier.MldsaKeyLength.selector, uint256(2591)));
        v.mldsaBegin(bytes.concat(bytes32(0), new bytes(2559)));
        bytes32 id = keccak256(pk);
        vm.expectRevert(abi.encodeWithSelector(PQCVerifier.MldsaKeyUnknown.selector, id));
        v.mldsaExpandRow(id, 0);
        vm.expectRevert(abi.encodeWithSelector(PQCVerifier.MldsaKeyUnknown.selector, id));
        v.mldsaVerify(id, "", "", "");
        v.mldsaBegin(pk);
        vm.expectRevert(abi.encodeWithSelector(PQCVerifier.MldsaKeyAlreadyRegistered.selector, id));
        v.mldsaBegin(pk);
        vm.expectRevert(abi.encodeWithSelector(PQCVerifier.MldsaRowOutOfRange.selector, uint256(8)));
        v.mldsaExpandRow(id, 8);
        vm.expectRevert(abi.encodeWithSelector(PQCVerifier.MldsaKeyNotReady.selector, id, uint8(0)));
        v.mldsaVerify(id, "", "", "");
    }

    function test_row_twice_refused() public {
        string memory j = _file("aegis-3");
        bytes32 id = _begin(j);
        v.mldsaExpandRow(id, 5);
        vm.expectRevert(abi.encodeWithSelector(PQCVerifier.MldsaRowDone.selector, id, uint256(5)));
        v.mldsaExpandRow(id, 5);
    }
}

/// The SLH-DSA session through the real contract, both transactions' work in one test
/// transaction (aegis's short messages keep the sum under the cap).
contract PQCVerifierSlhTest is MldsaVectors {
    PQCVerifier internal v;

    function setUp() public override {
        super.setUp();
        v = new PQCVerifier(new SLHDSAEngine());
    }

    function _session(string memory name) internal returns (bytes32 id, bool valid) {
        string memory j = vm.readFile(string.concat("vectors/slh/", name, ".json"));
        bytes memory pk = vm.parseJsonBytes(j, ".pk");
        bytes memory ht = vm.parseJsonBytes(j, ".sigHt");
        uint256 g = gasleft();
        id = v.slhBegin(pk, vm.parseJsonBytes(j, ".msg"), vm.parseJsonBytes(j, ".ctx"), vm.parseJsonBytes(j, ".sigHead"), keccak256(ht));
        emit log_named_uint("slhBegin gas", g - gasleft());
        g = gasleft();
        valid = v.slhFinish(id, ht);
        emit log_named_uint("slhFinish gas", g - gasleft());
        (bool fin, bool ok) = v.slhResult(id);
        assertTrue(fin && ok == valid, "result stored");
        assertTrue(valid == vm.parseJsonBool(j, ".ok"), string.concat(name, ": verdict"));
    }

    function test_slh_session_valid() public {
        _session("aegis-0");
    }

    function test_slh_session_tampered_ht() public {
        _session("aegis-1-sig-ht");
    }

    function test_slh_refusals() public {
        string memory j = vm.readFile("vectors/slh/aegis-0.json");
        bytes memory pk = vm.parseJsonBytes(j, ".pk");
        bytes memory ht = vm.parseJsonBytes(j, ".sigHt");
        vm.expectRevert(abi.encodeWithSelector(PQCVerifier.SlhSessionNotBegun.selector, bytes32(uint256(1))));
        v.slhFinish(bytes32(uint256(1)), ht);
        vm.expectRevert(abi.encodeWithSelector(PQCVerifier.SlhBadLength.selector, "pk", uint256(63)));
        v.slhBegin(new bytes(63), "", "", "", bytes32(0));
        bytes32 id = v.slhBegin(pk, vm.parseJsonBytes(j, ".msg"), vm.parseJsonBytes(j, ".ctx"), vm.parseJsonBytes(j, ".sigHead"), keccak256(ht));
        ht[5] ^= 0x01;
        vm.expectRevert(abi.encodeWithSelector(PQCVerifier.SlhHypertreeMismatch.selector, id));
        v.slhFinish(id, ht);
    }
}
