// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {MldsaVectors} from "./MldsaVectors.sol";

/// NIST ACVP ML-DSA-87 sigVer (tests/vectors/acvp): all 60 cases, pure, HashML-DSA (M'
/// built off chain, checked through Verify_internal), internal and external-mu interfaces.
contract MLDSA87AcvpTest is MldsaVectors {
    function test_acvp_0() public { _run("acvp-0"); }
    function test_acvp_1() public { _run("acvp-1"); }
    function test_acvp_2() public { _run("acvp-2"); }
    function test_acvp_3() public { _run("acvp-3"); }
    function test_acvp_4() public { _run("acvp-4"); }
    function test_acvp_5() public { _run("acvp-5"); }
    function test_acvp_6() public { _run("acvp-6"); }
    function test_acvp_7() public { _run("acvp-7"); }
    function test_acvp_8() public { _run("acvp-8"); }
    function test_acvp_9() public { _run("acvp-9"); }
    function test_acvp_10() public { _run("acvp-10"); }
    function test_acvp_11() public { _run("acvp-11"); }
    function test_acvp_12() public { _run("acvp-12"); }
    function test_acvp_13() public { _run("acvp-13"); }
    function test_acvp_14() public { _run("acvp-14"); }
    function test_acvp_15() public { _run("acvp-15"); }
    function test_acvp_16() public { _run("acvp-16"); }
    function test_acvp_17() public { _run("acvp-17"); }
    function test_acvp_18() public { _run("acvp-18"); }
    function test_acvp_19() public { _run("acvp-19"); }
    function test_acvp_20() public { _run("acvp-20"); }
    function test_acvp_21() public { _run("acvp-21"); }
    function test_acvp_22() public { _run("acvp-22"); }
    function test_acvp_23() public { _run("acvp-23"); }
    function test_acvp_24() public { _run("acvp-24"); }
    function test_acvp_25() public { _run("acvp-25"); }
    function test_acvp_26() public { _run("acvp-26"); }
    function test_acvp_27() public { _run("acvp-27"); }
    function test_acvp_28() public { _run("acvp-28"); }
    function test_acvp_29() public { _run("acvp-29"); }
    function test_acvp_30() public { _run("acvp-30"); }
    function test_acvp_31() public { _run("acvp-31"); }
    function test_acvp_32() public { _run("acvp-32"); }
    function test_acvp_33() public { _run("acvp-33"); }
    function test_acvp_34() public { _run("acvp-34"); }
    function test_acvp_35() public { _run("acvp-35"); }
    function test_acvp_36() public { _run("acvp-36"); }
    function test_acvp_37() public { _run("acvp-37"); }
    function test_acvp_38() public { _run("acvp-38"); }
    function test_acvp_39() public { _run("acvp-39"); }
    function test_acvp_40() public { _run("acvp-40"); }
    function test_acvp_41() public { _run("acvp-41"); }
    function test_acvp_42() public { _run("acvp-42"); }
    function test_acvp_43() public { _run("acvp-43"); }
    function test_acvp_44() public { _run("acvp-44"); }
    function test_acvp_45() public { _run("acvp-45"); }
    function test_acvp_46() public { _run("acvp-46"); }
    function test_acvp_47() public { _run("acvp-47"); }
    function test_acvp_48() public { _run("acvp-48"); }
    function test_acvp_49() public { _run("acvp-49"); }
    function test_acvp_50() public { _run("acvp-50"); }
    function test_acvp_51() public { _run("acvp-51"); }
    function test_acvp_52() public { _run("acvp-52"); }
    function test_acvp_53() public { _run("acvp-53"); }
    function test_acvp_54() public { _run("acvp-54"); }
    function test_acvp_55() public { _run("acvp-55"); }
    function test_acvp_56() public { _run("acvp-56"); }
    function test_acvp_57() public { _run("acvp-57"); }
    function test_acvp_58() public { _run("acvp-58"); }
    function test_acvp_59() public { _run("acvp-59"); }
}
