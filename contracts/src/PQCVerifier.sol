// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {MLDSA87} from "./MLDSA87.sol";

/// Post-quantum signature verification for Aegis's contracts: ML-DSA-87 (FIPS 204).
///
/// An ML-DSA-87 public key is registered once in a session of nine transactions, each
/// under the EIP-7825 cap: begin (stores rho, tr = H(pk, 64) and deploys NTT(t1 * 2^d)),
/// then expandRow(0..7) (each computes one row of A-hat = ExpandA(rho) from the stored rho
/// and deploys it as a data contract). Every step works only from what begin committed to,
/// so the expanded key is exactly the FIPS 204 expansion of the registered pk; nobody can
/// install a different A-hat. Verification is then one call (see docs/benchmarks.md).
contract PQCVerifier {
    struct MldsaKey {
        bytes32 rho;
        bytes32 tr0;
        bytes32 tr1;
        address t1Hat;
        uint8 rowsDone; // bit r set once row r is deployed
        address[8] rows;
    }

    mapping(bytes32 => MldsaKey) internal _mldsa;

    error MldsaKeyLength(uint256 got);
    error MldsaKeyAlreadyRegistered(bytes32 keyId);
    error MldsaKeyUnknown(bytes32 keyId);
    error MldsaKeyNotReady(bytes32 keyId, uint8 rowsDone);
    error MldsaRowOutOfRange(uint256 row);
    error MldsaRowDone(bytes32 keyId, uint256 row);
    error BlobDeployFailed();

    event MldsaKeyBegun(bytes32 indexed keyId);
    event MldsaRowExpanded(bytes32 indexed keyId, uint256 row, address blob);
    event MldsaKeyReady(bytes32 indexed keyId);

    /// keyId = keccak256(pk).
    function mldsaBegin(bytes calldata pk) external returns (bytes32 keyId) {
        if (pk.length != MLDSA87.PK_BYTES) revert MldsaKeyLength(pk.length);
        keyId = keccak256(pk);
        MldsaKey storage k = _mldsa[keyId];
        if (k.t1Hat != address(0)) revert MldsaKeyAlreadyRegistered(keyId);
        (k.tr0, k.tr1) = MLDSA87.computeTr(pk);
        k.rho = bytes32(pk[0:32]);
        k.t1Hat = _deployBlob(MLDSA87.computeT1Hat(pk));
        emit MldsaKeyBegun(keyId);
    }

    function mldsaExpandRow(bytes32 keyId, uint256 row) external {
        MldsaKey storage k = _mldsa[keyId];
        if (k.t1Hat == address(0)) revert MldsaKeyUnknown(keyId);
        if (row >= 8) revert MldsaRowOutOfRange(row);
        if (k.rowsDone & (1 << row) != 0) revert MldsaRowDone(keyId, row);
        address blob = _deployBlob(MLDSA87.expandRow(k.rho, row));
        k.rows[row] = blob;
        k.rowsDone |= uint8(1 << row);
        emit MldsaRowExpanded(keyId, row, blob);
        if (k.rowsDone == 0xff) emit MldsaKeyReady(keyId);
    }

    function mldsaReady(bytes32 keyId) public view returns (bool) {
        return _mldsa[keyId].rowsDone == 0xff;
    }

    /// ML-DSA.Verify (FIPS 204 Algorithm 3, pure): M' = 0x00 || len(ctx) || ctx || message.
    function mldsaVerify(bytes32 keyId, bytes calldata message, bytes calldata ctx, bytes calldata sig)
        external
        view
        returns (bool)
    {
        return MLDSA87.verify(_key(keyId), message, ctx, sig);
    }

    /// ML-DSA.Verify_internal (Algorithm 8) on M' as given (HashML-DSA callers build M').
    function mldsaVerifyInternal(bytes32 keyId, bytes calldata mprime, bytes calldata sig)
        external
        view
        returns (bool)
    {
        MLDSA87.Key memory key = _key(keyId);
        uint256 p;
        assembly ("memory-safe") {
            p := mload(0x40)
            mstore(0x40, add(p, add(mprime.length, 32)))
            calldatacopy(p, mprime.offset, mprime.length)
        }
        return MLDSA87.verifyInternal(key, p, mprime.length, sig);
    }

    /// Algorithm 8 given mu = H(tr || M', 64) (the "external mu" interface).
    function mldsaVerifyMu(bytes32 keyId, bytes calldata mu, bytes calldata sig) external view returns (bool) {
        if (mu.length != 64) return false;
        return MLDSA87.verifyMu(_key(keyId), bytes32(mu[0:32]), bytes32(mu[32:64]), sig);
    }

    function mldsaRowBlob(bytes32 keyId, uint256 row) external view returns (address) {
        return _mldsa[keyId].rows[row];
    }

    function mldsaT1HatBlob(bytes32 keyId) external view returns (address) {
        return _mldsa[keyId].t1Hat;
    }

    function mldsaTr(bytes32 keyId) external view returns (bytes32, bytes32) {
        return (_mldsa[keyId].tr0, _mldsa[keyId].tr1);
    }

    function _key(bytes32 keyId) internal view returns (MLDSA87.Key memory key) {
        MldsaKey storage k = _mldsa[keyId];
        if (k.t1Hat == address(0)) revert MldsaKeyUnknown(keyId);
        if (k.rowsDone != 0xff) revert MldsaKeyNotReady(keyId, k.rowsDone);
        key.tr0 = k.tr0;
        key.tr1 = k.tr1;
        key.t1Hat = k.t1Hat;
        for (uint256 i = 0; i < 8; i++) {
            key.rows[i] = k.rows[i];
        }
    }

    /// Deploys data as a contract's code, after a 0x00 (STOP) so calling it does nothing.
    function _deployBlob(bytes memory data) internal returns (address a) {
        bytes memory init = abi.encodePacked(
            hex"61", uint16(data.length + 1), hex"80600a5f395ff3", hex"00", data
        );
        assembly ("memory-safe") {
            a := create(0, add(init, 32), mload(init))
        }
        if (a == address(0)) revert BlobDeployFailed();
    }
}
