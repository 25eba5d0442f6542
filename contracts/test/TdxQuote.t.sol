// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {TestBase} from "./Vm.sol";
import {TdxQuote} from "../src/TdxQuote.sol";

/// Real TDX quotes (tests/vectors/attestation) through the on-chain checks, and corrupted
/// copies, each refused by the check it breaks.
contract TdxQuoteTest is TestBase {
    event log_named_uint(string key, uint256 val);

    TdxQuote internal t;

    function setUp() public {
        t = new TdxQuote();
    }

    function _load(string memory name) internal view returns (string memory j, bytes memory q, bytes[] memory chain) {
        j = vm.readFile(string.concat("vectors/tdx/", name, ".json"));
        q = vm.parseJsonBytes(j, ".quote");
        chain = new bytes[](2);
        chain[0] = vm.parseJsonBytes(j, ".chain[0]");
        chain[1] = vm.parseJsonBytes(j, ".chain[1]");
    }

    function _valid(string memory name) internal {
        (string memory j, bytes memory q, bytes[] memory chain) = _load(name);
        uint256 g = gasleft();
        TdxQuote.Result memory r = t.verify(q, chain);
        emit log_named_uint("TDX quote check gas", g - gasleft());
        bytes memory rd = vm.parseJsonBytes(j, ".reportData");
        assertEq(r.measurement, keccak256(bytes.concat(vm.parseJsonBytes(j, ".mrtd"), vm.parseJsonBytes(j, ".rtmrs"))), "measurement");
        bytes32 rd0;
        bytes32 rd1;
        assembly {
            rd0 := mload(add(rd, 32))
            rd1 := mload(add(rd, 64))
        }
        assertEq(r.reportData0, rd0, "report data 0");
        assertEq(r.reportData1, rd1, "report data 1");
    }

    function test_tdx_v4_valid() public { _valid("tdx_v4_dcapqvl"); }
    function test_dstack_tdx_v4_valid() public { _valid("dstack_getquote_tdx_v4"); }

    function test_v5_refused() public {
        string memory j = vm.readFile("vectors/tdx/tdx_v5_td15_dcapqvl.json");
        vm.expectRevert(abi.encodeWithSelector(TdxQuote.QuoteMalformed.selector, "version (4 expected)"));
        t.verify(vm.parseJsonBytes(j, ".quote"), new bytes[](2));
    }

    function test_corrupt_td_report() public {
        (, bytes memory q, bytes[] memory chain) = _load("tdx_v4_dcapqvl");
        q[200] ^= 0x01; // inside MRTD
        vm.expectRevert(TdxQuote.QuoteSignatureInvalid.selector);
        t.verify(q, chain);
    }

    function test_corrupt_attestation_key() public {
        (, bytes memory q, bytes[] memory chain) = _load("tdx_v4_dcapqvl");
        q[710] ^= 0x01;
        vm.expectRevert(TdxQuote.QuoteSignatureInvalid.selector);
        t.verify(q, chain);
    }

    function test_corrupt_qe_report() public {
        (, bytes memory q, bytes[] memory chain) = _load("tdx_v4_dcapqvl");
        q[800] ^= 0x01; // inside the QE report, not its report data
        vm.expectRevert(TdxQuote.QeSignatureInvalid.selector);
        t.verify(q, chain);
    }

    function test_corrupt_qe_binding() public {
        (, bytes memory q, bytes[] memory chain) = _load("tdx_v4_dcapqvl");
        q[1225] ^= 0x01; // QE auth data
        vm.expectRevert(TdxQuote.QeBindingInvalid.selector);
        t.verify(q, chain);
    }

    function test_corrupt_pck_leaf() public {
        (, bytes memory q, bytes[] memory chain) = _load("tdx_v4_dcapqvl");
        chain[0][300] ^= 0x01; // inside the leaf's tbsCertificate
        vm.expectRevert(abi.encodeWithSelector(TdxQuote.CertSignatureInvalid.selector, uint256(0)));
        t.verify(q, chain);
    }

    function test_corrupt_intermediate() public {
        (, bytes memory q, bytes[] memory chain) = _load("tdx_v4_dcapqvl");
        chain[1][200] ^= 0x01;
        vm.expectRevert(abi.encodeWithSelector(TdxQuote.CertSignatureInvalid.selector, uint256(1)));
        t.verify(q, chain);
    }

    function test_other_platform_chain_refused() public {
        // a valid chain of another platform does not hold the key that signed this QE report
        (, bytes memory q,) = _load("tdx_v4_dcapqvl");
        (,, bytes[] memory other) = _load("dstack_getquote_tdx_v4");
        vm.expectRevert(TdxQuote.QeSignatureInvalid.selector);
        t.verify(q, other);
    }

    function test_self_signed_chain_refused() public {
        // the leaf in the intermediate's place: the pinned root never signed it
        (, bytes memory q, bytes[] memory chain) = _load("tdx_v4_dcapqvl");
        chain[1] = chain[0];
        vm.expectRevert(abi.encodeWithSelector(TdxQuote.CertSignatureInvalid.selector, uint256(1)));
        t.verify(q, chain);
    }
}
