// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {MLDSA87} from "./MLDSA87.sol";
import {SLHDSA} from "./SLHDSA.sol";
import {SLHDSAEngine} from "./SLHDSAEngine.sol";

/// Post-quantum signature verification for Aegis's contracts: ML-DSA-87 (FIPS 204) and
/// SLH-DSA-SHA2-256s (FIPS 205).
///
/// An ML-DSA-87 public key is registered once in a session of nine transactions, each
/// under the EIP-7825 cap: begin (stores rho, tr = H(pk, 64) and deploys NTT(t1 * 2^d)),
/// then expandRow(0..7) (each computes one row of A-hat = ExpandA(rho) from the stored rho
/// and deploys it as a data contract). Every step works only from what begin committed to,
/// so the expanded key is exactly the FIPS 204 expansion of the registered pk; nobody can
/// install a different A-hat. Verification is then one call (see docs/benchmarks.md).
///
/// SLH-DSA-SHA2-256s takes two transactions: slhBegin (H_msg and FORS, from R || SIG_FORS,
/// committing to keccak256(SIG_HT)) and slhFinish (the hypertree, from SIG_HT, which must
/// hash to the commitment). A session is named by everything it verifies (pk, M', the
/// signature) and its verdict stays readable (slhResult), so any contract can rely on it.
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

    struct SlhSession {
        bytes32 seed; // PK.seed
        bytes32 root; // PK.root
        bytes32 htHash; // keccak256(SIG_HT) committed at begin
        bytes32 forsPk;
        uint64 idxTree;
        uint8 idxLeaf;
        uint8 state; // 0 none, 1 FORS done, 2 finished: invalid, 3 finished: valid
    }

    mapping(bytes32 => SlhSession) internal _slh;

    SLHDSAEngine public immutable slhEngine;

    constructor(SLHDSAEngine engine) {
        slhEngine = engine;
    }

    error MldsaKeyLength(uint256 got);
    error MldsaKeyAlreadyRegistered(bytes32 keyId);
    error MldsaKeyUnknown(bytes32 keyId);
    error MldsaKeyNotReady(bytes32 keyId, uint8 rowsDone);
    error MldsaRowOutOfRange(uint256 row);
    error MldsaRowDone(bytes32 keyId, uint256 row);
    error BlobDeployFailed();
    error SlhBadLength(string what, uint256 got);
    error SlhSessionExists(bytes32 sessionId);
    error SlhSessionNotBegun(bytes32 sessionId);
    error SlhSessionFinished(bytes32 sessionId);
    error SlhHypertreeMismatch(bytes32 sessionId);

    event MldsaKeyBegun(bytes32 indexed keyId);
    event MldsaRowExpanded(bytes32 indexed keyId, uint256 row, address blob);
    event MldsaKeyReady(bytes32 indexed keyId);
    event SlhBegun(bytes32 indexed sessionId);
    event SlhVerified(bytes32 indexed sessionId, bool valid);

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

    /// The session id of slh_verify(pk, M' = 0x00 || len(ctx) || ctx || message, sig) with
    /// sig = sigHead (R || SIG_FORS) || SIG_HT.
    function slhSessionId(bytes calldata pk, bytes calldata message, bytes calldata ctx, bytes32 sigHeadHash, bytes32 htHash)
        public pure returns (bytes32)
    {
        return _slhId(pk, keccak256(_mprime(message, ctx)), sigHeadHash, htHash);
    }

    function _slhId(bytes calldata pk, bytes32 mpHash, bytes32 sigHeadHash, bytes32 htHash) internal pure returns (bytes32) {
        return keccak256(abi.encode(keccak256(pk), mpHash, sigHeadHash, htHash));
    }

    function _mprime(bytes calldata message, bytes calldata ctx) internal pure returns (bytes memory) {
        return abi.encodePacked(uint8(0), uint8(ctx.length), ctx, message);
    }

    /// Part 1 of SLH-DSA-SHA2-256s verification (pure interface): H_msg and the FORS public key.
    function slhBegin(bytes calldata pk, bytes calldata message, bytes calldata ctx, bytes calldata sigHead, bytes32 htHash)
        external returns (bytes32 id)
    {
        if (pk.length != 64) revert SlhBadLength("pk", pk.length);
        if (sigHead.length != 32 + SLHDSA.FORS_BYTES) revert SlhBadLength("R || SIG_FORS", sigHead.length);
        if (ctx.length > 255) revert SlhBadLength("ctx", ctx.length);
        bytes memory mp = _mprime(message, ctx);
        id = _slhId(pk, keccak256(mp), keccak256(sigHead), htHash);
        _slhFors(id, pk, mp, sigHead, htHash);
    }

    function _slhFors(bytes32 id, bytes calldata pk, bytes memory mp, bytes calldata sigHead, bytes32 htHash) internal {
        SlhSession storage ss = _slh[id];
        if (ss.state != 0) revert SlhSessionExists(id);
        (bytes32 fpk, uint256 tree, uint256 leaf) = slhEngine.forsInternal(bytes32(pk[0:32]), bytes32(pk[32:64]), mp, sigHead);
        ss.seed = bytes32(pk[0:32]);
        ss.root = bytes32(pk[32:64]);
        ss.htHash = htHash;
        ss.forsPk = fpk;
        ss.idxTree = uint64(tree);
        ss.idxLeaf = uint8(leaf);
        ss.state = 1;
        emit SlhBegun(id);
    }

    /// Part 2: the hypertree from the committed FORS public key; the verdict is stored.
    function slhFinish(bytes32 id, bytes calldata sigHt) external returns (bool valid) {
        SlhSession storage ss = _slh[id];
        if (ss.state == 0) revert SlhSessionNotBegun(id);
        if (ss.state != 1) revert SlhSessionFinished(id);
        if (keccak256(sigHt) != ss.htHash) revert SlhHypertreeMismatch(id);
        bytes32 root = slhEngine.ht(ss.seed, ss.forsPk, SLHDSA.Pos(0, ss.idxTree, ss.idxLeaf), sigHt, 0, 8);
        valid = root == ss.root;
        ss.state = valid ? 3 : 2;
        emit SlhVerified(id, valid);
    }

    /// (finished, valid) of a session.
    function slhResult(bytes32 id) external view returns (bool finished, bool valid) {
        uint8 st = _slh[id].state;
        return (st >= 2, st == 3);
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
