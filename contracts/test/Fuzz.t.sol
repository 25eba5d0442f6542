// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {TestBase} from "./Vm.sol";
import {TdxQuote} from "../src/TdxQuote.sol";
import {QRMSOracle} from "../src/QRMSOracle.sol";
import {PQCVerifier} from "../src/PQCVerifier.sol";
import {MLDSA87} from "../src/MLDSA87.sol";
import {MldsaVectors} from "./MldsaVectors.sol";
import {PQCVerifierTestable, Install} from "./Testables.sol";

/// forge's fuzzer over the contracts' parsers of outside input: random and mutated
/// assessments, quotes and signatures are refused with the contract's own errors (never a
/// panic, never accepted).
contract FuzzTest is TestBase {
    TdxQuote internal tdx;
    QRMSOracle internal oracle;

    function setUp() public {
        tdx = new TdxQuote();
        oracle = new QRMSOracle(PQCVerifier(address(0)), address(this));
    }

    /// Any byte string decodes or fails with AssessmentMalformed (never another error).
    function testFuzz_assessment_decode(bytes calldata e) public view {
        try oracle.decode(e) returns (QRMSOracle.Assessment memory a) {
            assertTrue(a.score <= 10000 && a.algorithms <= 7 && bytes(a.source).length > 0, "decoded fields in range");
        } catch (bytes memory err) {
            assertTrue(bytes4(err) == QRMSOracle.AssessmentMalformed.selector, "only AssessmentMalformed");
        }
    }

    /// A valid encoding with one byte changed in its length fields or tail never decodes
    /// to something longer or shorter than what it is.
    function testFuzz_assessment_mutation(uint256 at, uint8 x) public view {
        bytes memory e = vm.parseBytes(vm.readFile("vectors/chain/risk.0.enc"));
        at = at % e.length;
        if (uint8(e[at]) == x) return;
        e[at] = bytes1(x);
        try oracle.decode(e) returns (QRMSOracle.Assessment memory) {
            // a changed value byte may still decode; the signature check then refuses it
            // (QRMSOracleTest.test_tampered_score_refused)
        } catch (bytes memory err) {
            assertTrue(bytes4(err) == QRMSOracle.AssessmentMalformed.selector, "only AssessmentMalformed");
        }
    }

    /// One byte changed anywhere the quote's signatures cover: refused.
    function testFuzz_tdx_mutation(uint256 at, uint8 x) public view {
        string memory j = vm.readFile("vectors/tdx/tdx_v4_dcapqvl.json");
        bytes memory q = vm.parseJsonBytes(j, ".quote");
        bytes[] memory chain = new bytes[](2);
        chain[0] = vm.parseJsonBytes(j, ".chain[0]");
        chain[1] = vm.parseJsonBytes(j, ".chain[1]");
        uint256 authLen = uint8(q[1218]) | (uint256(uint8(q[1219])) << 8);
        // [0, 632) header and TD report; [636, 1218) signature, key, cert type, QE report and
        // its signature; [1220, 1220 + authLen) QE auth data
        uint256 span = 632 + 582 + authLen;
        at = at % span;
        uint256 pos = at < 632 ? at : (at < 1214 ? at + 4 : at - 1214 + 1220);
        if (pos == 766 || pos == 767 || pos == 768 || pos == 769) return; // cert data size (unsigned, unused)
        if (uint8(q[pos]) == x) return;
        q[pos] = bytes1(x);
        try tdx.verify(q, chain) returns (TdxQuote.Result memory) {
            revert AssertionFailed("mutated quote accepted");
        } catch {}
    }

    /// One byte of a PCK certificate changed: refused (the signed part by the signature;
    /// the algorithm, the signature's DER and the framing by the strict parse).
    /// forge-config: default.fuzz.runs = 2000
    function testFuzz_pck_mutation(uint256 which, uint256 at, uint8 x) public view {
        string memory j = vm.readFile("vectors/tdx/tdx_v4_dcapqvl.json");
        bytes memory q = vm.parseJsonBytes(j, ".quote");
        bytes[] memory chain = new bytes[](2);
        chain[0] = vm.parseJsonBytes(j, ".chain[0]");
        chain[1] = vm.parseJsonBytes(j, ".chain[1]");
        which %= 2;
        at %= chain[which].length;
        if (uint8(chain[which][at]) == x) return;
        chain[which][at] = bytes1(x);
        try tdx.verify(q, chain) returns (TdxQuote.Result memory) {
            revert AssertionFailed("mutated certificate accepted");
        } catch {}
    }
}

/// A random bit of an aegis signature, message or context flipped: ML-DSA-87 says false.
contract MldsaFuzzTest is MldsaVectors {
    /// forge-config: default.fuzz.runs = 24
    function testFuzz_mldsa_bitflip(uint256 bit, uint8 what) public {
        string memory j = _file("aegis-0");
        MLDSA87.Key memory key = _install(j, 1);
        bytes memory sig = vm.parseJsonBytes(j, ".sig");
        bytes memory m = vm.parseJsonBytes(j, ".msg");
        bytes memory c = vm.parseJsonBytes(j, ".ctx");
        what %= 3;
        bytes memory t = what == 0 ? sig : (what == 1 ? m : c);
        if (t.length == 0) return;
        bit %= t.length * 8;
        t[bit / 8] ^= bytes1(uint8(1) << uint8(bit % 8));
        assertTrue(!h.verify(key, m, c, sig), "tampered signature accepted");
    }
}

/// Every single byte of both PCK certificates and of the signed part of the quote, flipped
/// in its low bit, one after the other: each copy is refused (the fuzzer samples; this
/// covers all positions, in chunks that fit a test transaction).
contract TdxEveryByteTest is TestBase {
    TdxQuote internal tdx;

    function setUp() public {
        tdx = new TdxQuote();
    }

    function _run(uint256 from, uint256 to) internal view {
        string memory j = vm.readFile("vectors/tdx/tdx_v4_dcapqvl.json");
        bytes memory q = vm.parseJsonBytes(j, ".quote");
        bytes[] memory chain = new bytes[](2);
        chain[0] = vm.parseJsonBytes(j, ".chain[0]");
        chain[1] = vm.parseJsonBytes(j, ".chain[1]");
        uint256 authLen = uint8(q[1218]) | (uint256(uint8(q[1219])) << 8);
        // positions: the leaf, then the intermediate, then the quote's signed bytes
        uint256 n0 = chain[0].length;
        uint256 n1 = chain[1].length;
        for (uint256 i = from; i < to; i++) {
            bytes memory b;
            uint256 pos;
            if (i < n0) {
                b = chain[0];
                pos = i;
            } else if (i < n0 + n1) {
                b = chain[1];
                pos = i - n0;
            } else {
                uint256 k = i - n0 - n1;
                if (k >= 632 + 582 + authLen) return;
                pos = k < 632 ? k : (k < 1214 ? k + 4 : k - 1214 + 1220);
                if (pos >= 766 && pos <= 769) continue; // certification data size: unsigned, unused
                b = q;
            }
            b[pos] ^= 0x01;
            try tdx.verify(q, chain) returns (TdxQuote.Result memory) {
                revert AssertionFailed(string.concat("accepted with byte ", vm.toString(i), " flipped"));
            } catch {}
            b[pos] ^= 0x01;
        }
    }
    function test_bytes_0() public view { _run(0, 150); }
    function test_bytes_150() public view { _run(150, 300); }
    function test_bytes_300() public view { _run(300, 450); }
    function test_bytes_450() public view { _run(450, 600); }
    function test_bytes_600() public view { _run(600, 750); }
    function test_bytes_750() public view { _run(750, 900); }
    function test_bytes_900() public view { _run(900, 1050); }
    function test_bytes_1050() public view { _run(1050, 1200); }
    function test_bytes_1200() public view { _run(1200, 1350); }
    function test_bytes_1350() public view { _run(1350, 1500); }
    function test_bytes_1500() public view { _run(1500, 1650); }
    function test_bytes_1650() public view { _run(1650, 1800); }
    function test_bytes_1800() public view { _run(1800, 1950); }
    function test_bytes_1950() public view { _run(1950, 2100); }
    function test_bytes_2100() public view { _run(2100, 2250); }
    function test_bytes_2250() public view { _run(2250, 2400); }
    function test_bytes_2400() public view { _run(2400, 2550); }
    function test_bytes_2550() public view { _run(2550, 2700); }
    function test_bytes_2700() public view { _run(2700, 2850); }
    function test_bytes_2850() public view { _run(2850, 3000); }
    function test_bytes_3000() public view { _run(3000, 3150); }
    function test_bytes_3150() public view { _run(3150, 3300); }
}
