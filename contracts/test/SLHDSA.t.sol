// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {SlhVectors} from "./SlhVectors.sol";

/// NIST ACVP SLH-DSA-SHA2-256s: the four sigGen cases whose expected signature NIST
/// publishes (pure and HashSLH-DSA; M' built off chain for the latter), each verified in
/// its two parts.
contract SLHDSAAcvpTest is SlhVectors {
    function test_acvp_0_fors() public { _fors("acvp-0"); }
    function test_acvp_0_ht() public { _ht("acvp-0", 0, 8); }
    function test_acvp_1_fors() public { _fors("acvp-1"); }
    function test_acvp_1_ht() public { _ht("acvp-1", 0, 8); }
    function test_acvp_2_fors() public { _fors("acvp-2"); }
    function test_acvp_2_ht() public { _ht("acvp-2", 0, 8); }
    function test_acvp_3_fors() public { _fors("acvp-3"); }
    function test_acvp_3_ht() public { _ht("acvp-3", 0, 8); }
}

/// Signatures from aegis's own C signer (`aegis sign`, SLH-DSA-SHA2-256s): two fresh keys,
/// random messages and contexts; valid, and refused after one bit of R, SIG_FORS, SIG_HT,
/// the message, the context or the key changes, or under another key.
contract SLHDSAAegisTest is SlhVectors {
    function test_aegis_0_fors() public { _fors("aegis-0"); }
    function test_aegis_0_ht() public { _ht("aegis-0", 0, 8); }
    function test_aegis_0_sig_r_fors() public { _fors("aegis-0-sig-r"); }
    function test_aegis_0_sig_r_ht() public { _ht("aegis-0-sig-r", 0, 8); }
    function test_aegis_0_sig_fors_fors() public { _fors("aegis-0-sig-fors"); }
    function test_aegis_0_sig_fors_ht() public { _ht("aegis-0-sig-fors", 0, 8); }
    function test_aegis_0_sig_ht_fors() public { _fors("aegis-0-sig-ht"); }
    function test_aegis_0_sig_ht_ht() public { _ht("aegis-0-sig-ht", 0, 8); }
    function test_aegis_0_msg_fors() public { _fors("aegis-0-msg"); }
    function test_aegis_0_msg_ht() public { _ht("aegis-0-msg", 0, 8); }
    function test_aegis_0_ctx_fors() public { _fors("aegis-0-ctx"); }
    function test_aegis_0_ctx_ht() public { _ht("aegis-0-ctx", 0, 8); }
    function test_aegis_0_key_fors() public { _fors("aegis-0-key"); }
    function test_aegis_0_key_ht() public { _ht("aegis-0-key", 0, 8); }
    function test_aegis_0_other_fors() public { _fors("aegis-0-other"); }
    function test_aegis_0_other_ht() public { _ht("aegis-0-other", 0, 8); }
    function test_aegis_1_fors() public { _fors("aegis-1"); }
    function test_aegis_1_ht() public { _ht("aegis-1", 0, 8); }
    function test_aegis_1_sig_r_fors() public { _fors("aegis-1-sig-r"); }
    function test_aegis_1_sig_r_ht() public { _ht("aegis-1-sig-r", 0, 8); }
    function test_aegis_1_sig_fors_fors() public { _fors("aegis-1-sig-fors"); }
    function test_aegis_1_sig_fors_ht() public { _ht("aegis-1-sig-fors", 0, 8); }
    function test_aegis_1_sig_ht_fors() public { _fors("aegis-1-sig-ht"); }
    function test_aegis_1_sig_ht_ht() public { _ht("aegis-1-sig-ht", 0, 8); }
    function test_aegis_1_msg_fors() public { _fors("aegis-1-msg"); }
    function test_aegis_1_msg_ht() public { _ht("aegis-1-msg", 0, 8); }
    function test_aegis_1_ctx_fors() public { _fors("aegis-1-ctx"); }
    function test_aegis_1_ctx_ht() public { _ht("aegis-1-ctx", 0, 8); }
    function test_aegis_1_key_fors() public { _fors("aegis-1-key"); }
    function test_aegis_1_key_ht() public { _ht("aegis-1-key", 0, 8); }
    function test_aegis_1_other_fors() public { _fors("aegis-1-other"); }
    function test_aegis_1_other_ht() public { _ht("aegis-1-other", 0, 8); }
}
