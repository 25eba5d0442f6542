// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {MLDSA87} from "../src/MLDSA87.sol";

/// Exposes the library on a key whose expansion the test installed (vm.etch), so one
/// verification fits a test transaction; the registration session is tested row by row
/// against the same reference expansion (PQCVerifier.t.sol).
contract MldsaHarness {
    function verify(MLDSA87.Key memory key, bytes calldata m, bytes calldata ctx, bytes calldata sig)
        external view returns (bool)
    {
        return MLDSA87.verify(key, m, ctx, sig);
    }

    function verifyInternal(MLDSA87.Key memory key, bytes calldata mp, bytes calldata sig)
        external view returns (bool)
    {
        uint256 p;
        assembly ("memory-safe") {
            p := mload(0x40)
            mstore(0x40, add(p, add(mp.length, 32)))
            calldatacopy(p, mp.offset, mp.length)
        }
        return MLDSA87.verifyInternal(key, p, mp.length, sig);
    }

    function verifyMu(MLDSA87.Key memory key, bytes calldata mu, bytes calldata sig) external view returns (bool) {
        return MLDSA87.verifyMu(key, bytes32(mu[0:32]), bytes32(mu[32:64]), sig);
    }

    function expandRow(bytes32 rho, uint256 r) external pure returns (bytes memory) {
        return MLDSA87.expandRow(rho, r);
    }

    function t1Hat(bytes calldata pk) external pure returns (bytes memory) {
        return MLDSA87.computeT1Hat(pk);
    }

    function tr(bytes calldata pk) external pure returns (bytes32, bytes32) {
        return MLDSA87.computeTr(pk);
    }
}
