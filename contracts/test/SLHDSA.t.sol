// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {SlhVectors} from "./SlhVectors.sol";

contract SLHDSAAcvpTest is SlhVectors {
    function test_acvp_0_fors() public { _fors("acvp-0"); }
    function test_acvp_0_ht() public { _ht("acvp-0", 0, 8); }
}
