// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {TestBase} from "./Vm.sol";
import {PQCVerifier} from "../src/PQCVerifier.sol";
import {SLHDSAEngine} from "../src/SLHDSAEngine.sol";
import {QRMSOracle} from "../src/QRMSOracle.sol";
import {TdxQuote} from "../src/TdxQuote.sol";
import {SequencerAttestation} from "../src/SequencerAttestation.sol";
import {PQCVerifierTestable, SequencerAttestationTestable, Install} from "./Testables.sol";

/// QRMSOracle and SequencerAttestation on data signed by aegis's CLI (vectors/chain.json:
/// tools/chain-vectors.js). One ML-DSA-87 verification costs about half a test
/// transaction, so each test holds at most one of them besides cheap checks.
abstract contract ChainBase is TestBase {
    event log_named_uint(string key, uint256 val);

    PQCVerifierTestable internal v;
    QRMSOracle internal oracle;
    TdxQuote internal tdx;
    SequencerAttestationTestable internal sa;
    bytes32 internal oracleKey;
    address internal constant GOV = address(0x60f);

    function setUp() public virtual {
        // deployed from the artifacts (deployCode), so this test contract stays small
        v = PQCVerifierTestable(vm.deployCode("Testables.sol:PQCVerifierTestable", abi.encode(_engine())));
        oracle = QRMSOracle(vm.deployCode("QRMSOracle.sol:QRMSOracle", abi.encode(v, GOV)));
        tdx = TdxQuote(vm.deployCode("TdxQuote.sol:TdxQuote", ""));
        sa = SequencerAttestationTestable(vm.deployCode("Testables.sol:SequencerAttestationTestable",
            abi.encode(v, oracle, tdx, uint64(vm.parseUint(_s(".chainId"))), true, GOV)));
        oracleKey = Install.mldsa(v, "key-oracle", 1);
        Install.mldsa(v, "key-seq1", 2);
        Install.mldsa(v, "key-seq2", 3);
        vm.prank(GOV);
        oracle.setOracleKey(oracleKey, true);
    }

    /// The SLH-DSA engine, deployed only by the tests that run a session (22 KiB of code).
    function _engine() internal virtual returns (address) {
        return address(0);
    }

    /// One value of vectors/chain.json, from its own file (vectors/chain/<path>): a test
    /// reads only what it uses. key: ".a.b[2].c" names file "a.b.2.c".
    function _s(string memory key) internal view returns (string memory) {
        bytes memory k = bytes(key);
        bytes memory f = new bytes(k.length);
        uint256 n = 0;
        for (uint256 i = 1; i < k.length; i++) {
            bytes1 c = k[i];
            if (c == "[") f[n++] = ".";
            else if (c != "]") f[n++] = c;
        }
        assembly {
            mstore(f, n)
        }
        return vm.readFile(string.concat("vectors/chain/", string(f)));
    }

    function _b(string memory key) internal view returns (bytes memory) {
        return vm.parseBytes(_s(key));
    }

    function _risk(uint256 i) internal {
        string memory k = string.concat(".risk[", vm.toString(i), "]");
        uint256 g = gasleft();
        oracle.submitAssessment(_b(string.concat(k, ".enc")), _b(string.concat(k, ".sig")));
        emit log_named_uint("submitAssessment gas", g - gasleft());
    }

    function _batch(uint256 n) internal view returns (bytes memory h, bytes memory ecdsa, bytes memory mldsa) {
        string memory k = string.concat(".batches[", vm.toString(n), "]");
        return (_b(string.concat(k, ".header")), _b(string.concat(k, ".ecdsa")), _b(string.concat(k, ".mldsa")));
    }

    function _genesis() internal {
        bytes memory ks = _b(".keySet1");
        vm.expectRevert(abi.encodeWithSelector(SequencerAttestation.NotGovernance.selector, address(this)));
        sa.registerGenesisSim(ks);
        vm.prank(GOV);
        sa.registerGenesisSim(ks);
    }

    /// Batches 1 .. n by ECDSA (cheap), at level normal.
    function _ecdsaUpTo(uint256 n) internal {
        for (uint256 i = 0; i < n; i++) {
            (bytes memory h, bytes memory e,) = _batch(i);
            sa.submitBatch(h, e, "");
        }
    }

    /// The oracle's level forced to emergency through its governance: thresholds at 1, then
    /// one real assessment (score 5000) is emergency.
    function _emergency() internal {
        vm.prank(GOV);
        oracle.setThresholds(1, 1);
        _risk(0);
        assertEq(oracle.level(), 2, "emergency");
    }
}

contract QRMSOracleTest is ChainBase {
    function test_levels_follow_assessments() public {
        _risk(0);
        assertEq(oracle.level(), 0, "5000: normal");
        assertEq(oracle.algorithms(), 7, "normal: ECDSA allowed");
        (bool seen, uint64 seq) = oracle.lastSeq("qrm-1");
        assertTrue(seen && seq == 1, "seq recorded");
    }

    function test_scheduled() public {
        _risk(1);
        assertEq(oracle.level(), 1, "6500: scheduled");
        assertEq(oracle.score(), 6500, "score");
    }

    function test_emergency_drops_ecdsa() public {
        _risk(2);
        assertEq(oracle.level(), 2, "9500: emergency");
        assertEq(oracle.algorithms(), 3, "emergency: ML-DSA + SLH-DSA only");
    }

    function test_replayed_sequence_refused() public {
        _risk(1);
        bytes memory enc = _b(".risk[0].enc");
        bytes memory sig = _b(".risk[0].sig");
        vm.expectRevert(abi.encodeWithSelector(QRMSOracle.SequenceNotIncreasing.selector, "qrm-1", uint64(1), uint64(2)));
        oracle.submitAssessment(enc, sig);
    }

    function test_tampered_score_refused() public {
        bytes memory enc = _b(".risk[2].enc");
        enc[enc.length - 6] ^= 0x01; // the score's low byte
        bytes memory sig = _b(".risk[2].sig");
        vm.expectRevert(abi.encodeWithSelector(QRMSOracle.AssessmentBadSignature.selector, oracleKey));
        oracle.submitAssessment(enc, sig);
    }

    function test_unknown_key_refused() public {
        vm.prank(GOV);
        oracle.setOracleKey(oracleKey, false);
        bytes memory enc = _b(".risk[0].enc");
        bytes memory sig = _b(".risk[0].sig");
        vm.expectRevert(abi.encodeWithSelector(QRMSOracle.OracleKeyUnknown.selector, oracleKey));
        oracle.submitAssessment(enc, sig);
    }

    function test_malformed_refused() public {
        bytes memory enc = _b(".risk[0].enc");
        vm.expectRevert(abi.encodeWithSelector(QRMSOracle.AssessmentMalformed.selector, "trailing bytes"));
        oracle.submitAssessment(bytes.concat(enc, hex"00"), "");
        enc[0] = "X";
        vm.expectRevert(abi.encodeWithSelector(QRMSOracle.AssessmentMalformed.selector, "magic"));
        oracle.submitAssessment(enc, "");
    }

    function test_governance_only() public {
        vm.expectRevert(abi.encodeWithSelector(QRMSOracle.NotGovernance.selector, address(this)));
        oracle.setThresholds(5000, 8000);
        vm.prank(GOV);
        vm.expectRevert(abi.encodeWithSelector(QRMSOracle.ThresholdsInvalid.selector, uint16(9000), uint16(8000)));
        oracle.setThresholds(9000, 8000);
    }
}

contract SequencerAttestationTest is ChainBase {
    function test_genesis_sim_marks_insecure() public {
        _genesis();
        (bytes32 h, bytes32 mk,, address e, bool insecure) = sa.keySets(1);
        assertEq(h, bytes32(_b(".keySet1Hash")), "key set hash = SHA-256 of the encoding");
        assertEq(mk, keccak256(_b(".mldsa1")), "ML-DSA key id");
        assertTrue(e == vm.parseAddress(_s(".ecdsaAddress")), "ECDSA address from the secp256k1 key");
        assertTrue(insecure, "sim registration is insecure");
    }

    function _quote() internal view returns (bytes memory q, bytes[] memory chain, bytes32 m, bytes32 rd0, bytes32 rd1) {
        string memory t = vm.readFile("vectors/tdx/tdx_v4_dcapqvl.json");
        q = vm.parseJsonBytes(t, ".quote");
        chain = new bytes[](2);
        chain[0] = vm.parseJsonBytes(t, ".chain[0]");
        chain[1] = vm.parseJsonBytes(t, ".chain[1]");
        m = keccak256(bytes.concat(vm.parseJsonBytes(t, ".mrtd"), vm.parseJsonBytes(t, ".rtmrs")));
        bytes memory rd = vm.parseJsonBytes(t, ".reportData");
        assembly {
            rd0 := mload(add(rd, 32))
            rd1 := mload(add(rd, 64))
        }
    }

    /// Genesis with the real TDX quote (its report data declared as the bound value).
    function test_genesis_real_tdx_quote() public {
        (bytes memory q, bytes[] memory chain, bytes32 m, bytes32 rd0, bytes32 rd1) = _quote();
        bytes memory ks = _b(".keySet1");
        vm.expectRevert(abi.encodeWithSelector(SequencerAttestation.MeasurementNotAllowed.selector, m));
        sa.registerGenesis(ks, q, chain);
        vm.prank(GOV);
        sa.setMeasurement(m, true);
        vm.expectRevert(abi.encodeWithSelector(SequencerAttestation.ReportDataMismatch.selector, bytes32("AEGIS-KEYSET-V1"), rd0));
        sa.registerGenesis(ks, q, chain);
        sa.setBound(rd0, rd1);
        uint256 g = gasleft();
        sa.registerGenesis(ks, q, chain);
        emit log_named_uint("registerGenesis (TDX quote) gas", g - gasleft());
        (,,,, bool insecure) = sa.keySets(1);
        assertTrue(!insecure && sa.currentEpoch() == 1, "attested genesis");
    }

    function test_genesis_corrupt_quote_refused() public {
        (bytes memory q, bytes[] memory chain, bytes32 m, bytes32 rd0, bytes32 rd1) = _quote();
        vm.prank(GOV);
        sa.setMeasurement(m, true);
        sa.setBound(rd0, rd1);
        q[600] ^= 0x01; // report data
        bytes memory ks = _b(".keySet1");
        vm.expectRevert(TdxQuote.QuoteSignatureInvalid.selector);
        sa.registerGenesis(ks, q, chain);
    }

    function test_sim_refused_without_flag() public {
        SequencerAttestation prod = SequencerAttestation(vm.deployCode("SequencerAttestation.sol:SequencerAttestation",
            abi.encode(v, oracle, tdx, uint64(7), false, GOV)));
        bytes memory ks = _b(".keySet1");
        vm.expectRevert(SequencerAttestation.SimModeDisabled.selector);
        vm.prank(GOV);
        prod.registerGenesisSim(ks);
    }

    function test_ecdsa_chain_below_emergency() public {
        _genesis();
        uint256 g = gasleft();
        _ecdsaUpTo(1);
        emit log_named_uint("submitBatch (ECDSA) gas", g - gasleft());
        _ecdsaUpTo(0);
        for (uint256 i = 1; i < 4; i++) {
            (bytes memory h, bytes memory e,) = _batch(i);
            sa.submitBatch(h, e, "");
        }
        (uint64 n, bytes32 hh) = sa.head();
        assertEq(n, 4, "head number");
        assertEq(hh, bytes32(_b(".batches[3].hash")), "head hash = batch 4's hash");
    }

    function test_mldsa_batch_accepted() public {
        _genesis();
        (bytes memory h,, bytes memory m) = _batch(0);
        uint256 g = gasleft();
        sa.submitBatch(h, "", m);
        emit log_named_uint("submitBatch (ML-DSA-87) gas", g - gasleft());
        (uint64 n,) = sa.head();
        assertEq(n, 1, "batch 1 accepted");
    }

    function test_mldsa_tampered_refused() public {
        _genesis();
        (bytes memory h,, bytes memory m) = _batch(0);
        m[100] ^= 0x04;
        vm.expectRevert(SequencerAttestation.BadMldsaSignature.selector);
        sa.submitBatch(h, "", m);
    }

    function test_emergency_refuses_ecdsa() public {
        _genesis();
        _ecdsaUpTo(1);
        _emergency();
        (bytes memory h, bytes memory e,) = _batch(1);
        vm.expectRevert(SequencerAttestation.EcdsaRefusedAtEmergency.selector);
        sa.submitBatch(h, e, "");
    }

    function test_header_checks() public {
        _genesis();
        (bytes memory h0, bytes memory e0,) = _batch(0);
        (bytes memory h1, bytes memory e1,) = _batch(1);
        (uint64 n0,) = sa.head();
        assertEq(n0, 0, "no batch yet");
        vm.expectRevert(abi.encodeWithSelector(SequencerAttestation.WrongBatchNumber.selector, uint64(1), uint64(2)));
        sa.submitBatch(h1, e1, "");
        bytes memory bad = bytes.concat(h0);
        bad[63] = 0x09; // chain id
        vm.expectRevert(abi.encodeWithSelector(SequencerAttestation.WrongChainId.selector, uint64(7), uint64(9)));
        sa.submitBatch(bad, e0, "");
        sa.submitBatch(h0, e0, "");
        bad = bytes.concat(h1);
        bad[100] ^= 0x01; // parent
        vm.expectRevert();
        sa.submitBatch(bad, e1, "");
        vm.expectRevert(abi.encodeWithSelector(SequencerAttestation.HeaderLength.selector, uint256(543)));
        sa.submitBatch(new bytes(543), e1, "");
        // batch 1's ECDSA signature does not sign a header changed in its tx count
        bad = bytes.concat(h1);
        bad[191] ^= 0x01;
        vm.expectRevert();
        sa.submitBatch(bad, e1, "");
    }

    function test_handover_to_epoch_2() public {
        _genesis();
        _ecdsaUpTo(4);
        uint256 g = gasleft();
        sa.handover(_b(".keySet2"), _b(".handover.record"), _b(".handover.sig"), _b(".handover.newSig"), "", new bytes[](0));
        emit log_named_uint("handover gas", g - gasleft());
        assertEq(sa.currentEpoch(), 2, "epoch 2");
        // epoch 1 keys no longer sign new batches
        (bytes memory h4) = _b(".batch4.header");
        vm.expectRevert();
        sa.submitBatch(h4, _b(".batches[0].ecdsa"), "");
    }

    function test_handover_signed_by_wrong_key_refused() public {
        _genesis();
        bytes memory ks = _b(".keySet2");
        bytes memory rec = _b(".handover.record");
        bytes memory bad = _b(".handover.badSig");
        vm.expectRevert(SequencerAttestation.HandoverBadSignature.selector);
        sa.handover(ks, rec, bad, _b(".handover.newSig"), "", new bytes[](0));
    }

    function test_handover_without_new_key_possession_refused() public {
        _genesis();
        bytes memory ks = _b(".keySet2");
        bytes memory rec = _b(".handover.record");
        vm.expectRevert(SequencerAttestation.HandoverBadNewSignature.selector);
        sa.handover(ks, rec, _b(".handover.sig"), _b(".handover.badNewSig"), "", new bytes[](0));
    }

    function test_handover_cannot_take_accepted_batches() public {
        _genesis();
        _ecdsaUpTo(4);
        bytes memory rec = _b(".handover.record");
        rec[92] = 0x04; // first batch of epoch 2: 4, already accepted (head is 4)
        vm.expectRevert(abi.encodeWithSelector(SequencerAttestation.HandoverMalformed.selector, "first batch already accepted"));
        sa.handover(_b(".keySet2"), rec, _b(".handover.sig"), _b(".handover.newSig"), "", new bytes[](0));
    }

    /// The hand-over posted early (head 2, epoch 2 from batch 5): epoch 1's batches 3 and 4
    /// still go (grace), an epoch-2 header below 5 and an epoch-1 header from 5 do not.
    function test_previous_epoch_grace_until_first_new_batch() public {
        _genesis();
        _ecdsaUpTo(2);
        sa.handover(_b(".keySet2"), _b(".handover.record"), _b(".handover.sig"), _b(".handover.newSig"), "", new bytes[](0));
        assertEq(sa.epochStart(2), 5, "epoch 2 starts at batch 5");
        (bytes memory h2, bytes memory e2,) = _batch(2);
        bytes memory early = bytes.concat(h2);
        early[415] = 0x02; // batch 3 claiming epoch 2: before epoch 2's first batch
        vm.expectRevert(abi.encodeWithSelector(SequencerAttestation.WrongKeyEpoch.selector, uint64(1), uint64(2)));
        sa.submitBatch(early, e2, "");
        sa.submitBatch(h2, e2, "");
        (bytes memory h3, bytes memory e3,) = _batch(3);
        sa.submitBatch(h3, e3, "");
        bytes memory late = _b(".batch4.header");
        late[415] = 0x01; // batch 5 claiming epoch 1: the grace is over
        vm.expectRevert(abi.encodeWithSelector(SequencerAttestation.WrongKeyEpoch.selector, uint64(2), uint64(1)));
        sa.submitBatch(late, "", _b(".batch4.mldsaOld"));
        (uint64 n,) = sa.head();
        assertEq(n, 4, "batches 3-4 of epoch 1 after the hand-over");
    }

    function test_epoch2_batch_by_new_key() public {
        _genesis();
        _ecdsaUpTo(4);
        sa.handover(_b(".keySet2"), _b(".handover.record"), _b(".handover.sig"), _b(".handover.newSig"), "", new bytes[](0));
        (bytes memory h4) = _b(".batch4.header");
        bytes memory m = _b(".batch4.mldsa");
        sa.submitBatch(h4, "", m);
        (uint64 n,) = sa.head();
        assertEq(n, 5, "batch 5 under epoch 2");
    }

    function _path(uint256 i) internal view returns (bytes32[] memory p) {
        p = new bytes32[](2);
        p[0] = bytes32(_b(string.concat(".seal.paths[", vm.toString(i), "][0]")));
        p[1] = bytes32(_b(string.concat(".seal.paths[", vm.toString(i), "][1]")));
    }

    function test_seal_path_at_emergency() public {
        _genesis();
        bytes memory slh = _b(".slhPk");
        bytes32 headH = keccak256(_b(".seal.sigHead"));
        bytes32 htH = keccak256(_b(".seal.sigHt"));
        bytes32 root = bytes32(_b(".seal.root"));
        bytes32 sid = v.slhSessionId(slh, _b(".seal.digest"), "aegis-seal-v1", headH, htH);
        vm.expectRevert(abi.encodeWithSelector(SequencerAttestation.SealNotVerified.selector, sid));
        sa.registerSeal(1, slh, 1, 4, root, headH, htH);
        v.setSlhVerdict(sid, true); // the session itself: PQCVerifierSlhTest / SealSession
        sa.registerSeal(1, slh, 1, 4, root, headH, htH);
        _emergency();
        for (uint256 i = 0; i < 4; i++) {
            bytes32[] memory path = _path(i);
            sa.submitBatchSealed(_b(string.concat(".batches[", vm.toString(i), "].header")), root, path);
        }
        (uint64 n, bytes32 hh) = sa.head();
        assertTrue(n == 4 && hh == bytes32(_b(".batches[3].hash")), "sealed batches 1..4 accepted");
    }

    function test_seal_wrong_path_refused() public {
        _genesis();
        bytes memory slh = _b(".slhPk");
        bytes32 headH = keccak256(_b(".seal.sigHead"));
        bytes32 htH = keccak256(_b(".seal.sigHt"));
        bytes32 root = bytes32(_b(".seal.root"));
        v.setSlhVerdict(v.slhSessionId(slh, _b(".seal.digest"), "aegis-seal-v1", headH, htH), true);
        sa.registerSeal(1, slh, 1, 4, root, headH, htH);
        _emergency();
        bytes32[] memory path = _path(1);
        bytes memory h0 = _b(".batches[0].header");
        vm.expectRevert(abi.encodeWithSelector(SequencerAttestation.NotInSeal.selector, root, uint64(1)));
        sa.submitBatchSealed(h0, root, path);
    }

    function test_seal_refused_below_emergency() public {
        _genesis();
        bytes memory h0 = _b(".batches[0].header");
        vm.expectRevert(SequencerAttestation.SealRefusedBelowEmergency.selector);
        sa.submitBatchSealed(h0, bytes32(0), new bytes32[](0));
    }
}

/// The seal's SLH-DSA signature (aegis's signer, over aegis's seal digest) through a real
/// PQCVerifier session: what registerSeal relies on.
contract SealSessionTest is ChainBase {
    function _engine() internal override returns (address) {
        return vm.deployCode("SLHDSAEngine.sol:SLHDSAEngine", "");
    }

    function test_seal_signature_session() public {
        bytes memory ht = _b(".seal.sigHt");
        bytes32 id = v.slhBegin(_b(".slhPk"), _b(".seal.digest"), "aegis-seal-v1", _b(".seal.sigHead"), keccak256(ht));
        assertTrue(v.slhFinish(id, ht), "aegis's seal signature verifies");
    }
}
