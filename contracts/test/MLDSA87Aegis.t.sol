// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {MldsaVectors} from "./MldsaVectors.sol";

/// Signatures from aegis's own C signer (`aegis sign`, tools/aegis-sign-cases.js): four fresh
/// keys over random messages and contexts (aegis-batch-v1, empty, 255 bytes, random), each
/// valid, and refused after one bit of the signature (c~, z, hint), message, context or
/// key changes, or under another key.
contract MLDSA87AegisTest is MldsaVectors {
    function test_aegis_0() public { _run("aegis-0"); }
    function test_aegis_0_sig_c() public { _run("aegis-0-sig-c"); }
    function test_aegis_0_sig_z() public { _run("aegis-0-sig-z"); }
    function test_aegis_0_sig_h() public { _run("aegis-0-sig-h"); }
    function test_aegis_0_msg() public { _run("aegis-0-msg"); }
    function test_aegis_0_ctx() public { _run("aegis-0-ctx"); }
    function test_aegis_0_key() public { _run("aegis-0-key"); }
    function test_aegis_0_other() public { _run("aegis-0-other"); }
    function test_aegis_1() public { _run("aegis-1"); }
    function test_aegis_1_sig_c() public { _run("aegis-1-sig-c"); }
    function test_aegis_1_sig_z() public { _run("aegis-1-sig-z"); }
    function test_aegis_1_sig_h() public { _run("aegis-1-sig-h"); }
    function test_aegis_1_msg() public { _run("aegis-1-msg"); }
    function test_aegis_1_ctx() public { _run("aegis-1-ctx"); }
    function test_aegis_1_key() public { _run("aegis-1-key"); }
    function test_aegis_1_other() public { _run("aegis-1-other"); }
    function test_aegis_2() public { _run("aegis-2"); }
    function test_aegis_2_sig_c() public { _run("aegis-2-sig-c"); }
    function test_aegis_2_sig_z() public { _run("aegis-2-sig-z"); }
    function test_aegis_2_sig_h() public { _run("aegis-2-sig-h"); }
    function test_aegis_2_msg() public { _run("aegis-2-msg"); }
    function test_aegis_2_ctx() public { _run("aegis-2-ctx"); }
    function test_aegis_2_key() public { _run("aegis-2-key"); }
    function test_aegis_2_other() public { _run("aegis-2-other"); }
    function test_aegis_3() public { _run("aegis-3"); }
    function test_aegis_3_sig_c() public { _run("aegis-3-sig-c"); }
    function test_aegis_3_sig_z() public { _run("aegis-3-sig-z"); }
    function test_aegis_3_sig_h() public { _run("aegis-3-sig-h"); }
    function test_aegis_3_msg() public { _run("aegis-3-msg"); }
    function test_aegis_3_ctx() public { _run("aegis-3-ctx"); }
    function test_aegis_3_key() public { _run("aegis-3-key"); }
    function test_aegis_3_other() public { _run("aegis-3-other"); }
}
