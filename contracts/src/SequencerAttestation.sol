// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {PQCVerifier} from "./PQCVerifier.sol";
import {QRMSOracle} from "./QRMSOracle.sol";
import {TdxQuote} from "./TdxQuote.sol";

/// The sequencer's key sets per epoch and its batch chain on L1.
///
/// Key sets are aegis's public key-set encoding (docs/internals/keys.md):
///   "AEGP" | u8 1 | u64 epoch | ML-DSA-87 pk (2592) | SLH-DSA pk (64) |
///   secp256k1 pk (65, uncompressed) | ML-KEM-1024 ek (1568) | X25519 (32)
/// whose SHA-256 a TDX quote binds (report_data = "AEGIS-KEYSET-V1" zero-padded to 32
/// bytes || hash). The first key set comes with that quote (TdxQuote: attestation-key and
/// PCK signatures, QE binding, PCK chain to the pinned Intel root through the P-256
/// precompile, then the governance's MRTD/RTMR allow-list); later ones with a hand-over
/// record signed by the previous epoch's ML-DSA-87 key, plus their own quote. The ML-DSA
/// key of a set must be registered in PQCVerifier first (its expansion session).
///
/// A deployment constructed with allowSim = true also takes key sets with no quote, from
/// aegis's sim TEE backend: every such registration is marked insecure in its event, and
/// a deployment made with allowSim = false refuses them.
///
/// submitBatch takes aegis's ABI batch header (544 bytes, 17 words), recomputes its hash,
/// checks chain id, numbering (from 1) and parent (zero for batch 1), and accepts the batch by secp256k1 ECDSA while
/// QRMSOracle's level is below emergency, or by post-quantum proof: the ML-DSA-87
/// signature (any level), or at emergency also an SLH-DSA epoch seal holding the batch.
contract SequencerAttestation {
    uint256 internal constant KEYSET_BYTES = 4334;
    uint256 internal constant HEADER_BYTES = 544;
    bytes32 internal constant KEYSET_TAG = "AEGIS-KEYSET-V1";
    bytes32 internal constant SEAL_TAG = "AEGIS-EPOCH-SEAL-V1";

    PQCVerifier public immutable pqc;
    QRMSOracle public immutable oracle;
    TdxQuote public immutable tdx;
    uint64 public immutable chainId;
    bool public immutable allowSim;
    address public governance;

    struct KeySet {
        bytes32 hash; // SHA-256 of the encoding
        bytes32 mldsaKeyId; // keccak256(ML-DSA pk), registered in PQCVerifier
        bytes32 slhPkHash; // keccak256(SLH-DSA pk)
        address ecdsa;
        bool insecure; // registered without attestation (sim)
    }

    mapping(uint64 => KeySet) public keySets;
    /// First batch number signed by an epoch (its hand-over record's batch); 0 for genesis.
    mapping(uint64 => uint64) public epochStart;
    uint64 public currentEpoch;
    bool public hasKeySet;

    mapping(bytes32 => bool) public allowedMeasurement; // keccak256(MRTD || RTMR0..3)

    struct Seal {
        uint64 first;
        uint64 count;
        uint64 epoch;
    }

    mapping(bytes32 => Seal) public seals; // Merkle root of batch hashes => window

    uint64 public nextNumber = 1; // aegis numbers batches from 1 (docs/internals/batch.md)
    bytes32 public headHash;

    uint8 public constant PROOF_ECDSA = 1;
    uint8 public constant PROOF_MLDSA = 2;
    uint8 public constant PROOF_SEAL = 3;

    error NotGovernance(address caller);
    error SimModeDisabled();
    error KeySetLength(uint256 got);
    error KeySetMalformed(string what);
    error KeySetMldsaNotRegistered(bytes32 keyId);
    error EpochNotNext(uint64 want, uint64 got);
    error GenesisDone();
    error NoKeySet();
    error MeasurementNotAllowed(bytes32 measurement);
    error ReportDataMismatch(bytes32 want, bytes32 got);
    error HandoverMalformed(string what);
    error HandoverBadSignature();
    error HandoverBadNewSignature();
    error HeaderLength(uint256 got);
    error HeaderVersion(uint256 got);
    error WrongChainId(uint64 want, uint64 got);
    error WrongBatchNumber(uint64 want, uint64 got);
    error ParentMismatch(bytes32 want, bytes32 got);
    error EpochUnknown(uint64 epoch);
    error WrongKeyEpoch(uint64 want, uint64 got);
    error EcdsaRefusedAtEmergency();
    error BadEcdsaSignature(address recovered, address want);
    error BadMldsaSignature();
    error SealRefusedBelowEmergency();
    error SealUnknown(bytes32 root);
    error SealNotVerified(bytes32 sessionId);
    error NotInSeal(bytes32 root, uint64 number);

    event MeasurementSet(bytes32 indexed measurement, bool allowed);
    event KeySetRegistered(uint64 indexed epoch, bytes32 hash, bytes32 mldsaKeyId, address ecdsa, bool insecure);
    event HandoverAccepted(uint64 indexed oldEpoch, uint64 indexed newEpoch, uint64 batchNumber, uint8 reason);
    event SealRegistered(bytes32 indexed root, uint64 first, uint64 count, uint64 epoch);
    event BatchAccepted(
        uint64 indexed number, bytes32 indexed hash, bytes32 parent, uint64 keyEpoch, uint8 proof, uint8 level
    );

    constructor(PQCVerifier verifier, QRMSOracle riskOracle, TdxQuote quoteVerifier, uint64 aegisChainId, bool sim, address gov) {
        pqc = verifier;
        oracle = riskOracle;
        tdx = quoteVerifier;
        chainId = aegisChainId;
        allowSim = sim;
        governance = gov;
    }

    modifier onlyGovernance() {
        if (msg.sender != governance) revert NotGovernance(msg.sender);
        _;
    }

    function setMeasurement(bytes32 measurement, bool allowed) external onlyGovernance {
        allowedMeasurement[measurement] = allowed;
        emit MeasurementSet(measurement, allowed);
    }

    function setGovernance(address gov) external onlyGovernance {
        governance = gov;
    }

    // ------------------------------------------------------------------ key sets

    /// The report data a quote must carry for a key set hash.
    function keySetReportData(bytes32 ksHash) public pure returns (bytes32, bytes32) {
        return (KEYSET_TAG, ksHash);
    }

    /// The first key set, attested by a TDX quote (see TdxQuote.verify for what is checked).
    function registerGenesis(bytes calldata keySet, bytes calldata quote, bytes[] calldata pckChain) external {
        if (hasKeySet) revert GenesisDone();
        KeySet memory ks = _parse(keySet);
        _attest(ks.hash, quote, pckChain);
        _store(_epoch(keySet), ks);
    }

    /// The first key set from aegis's sim backend: only on a sim deployment, only by the
    /// governance (there is no quote to prove anything); insecure.
    function registerGenesisSim(bytes calldata keySet) external onlyGovernance {
        if (!allowSim) revert SimModeDisabled();
        if (hasKeySet) revert GenesisDone();
        KeySet memory ks = _parse(keySet);
        ks.insecure = true;
        _store(_epoch(keySet), ks);
    }

    /// A later key set: the hand-over record
    ///   "AEGH" | u8 1 | u64 old | u64 new | old hash | new hash | u64 batch | u8 reason | u64 ts
    /// signed (ML-DSA-87, context "aegis-handover-v1") by the current epoch's key - the
    /// authority - and by the new set's key - its proof of possession - and the new set's
    /// quote (on a sim deployment, quote may be empty: insecure). The record's batch is the
    /// first the new epoch signs: no earlier than the next batch; until then the previous
    /// epoch's batches below it are still taken (submitBatch).
    function handover(
        bytes calldata keySet,
        bytes calldata record,
        bytes calldata oldMldsaSig,
        bytes calldata newMldsaSig,
        bytes calldata quote,
        bytes[] calldata pckChain
    ) external {
        if (!hasKeySet) revert NoKeySet();
        KeySet memory ks = _parse(keySet);
        uint64 epoch = _epoch(keySet);
        _checkHandover(record, ks.hash, epoch);
        _checkHandoverSigs(ks.mldsaKeyId, record, oldMldsaSig, newMldsaSig);
        if (quote.length == 0) {
            if (!allowSim) revert SimModeDisabled();
            ks.insecure = true;
        } else {
            _attest(ks.hash, quote, pckChain);
        }
        _acceptHandover(epoch, ks, record);
    }

    function _checkHandoverSigs(bytes32 newKeyId, bytes calldata record, bytes calldata oldSig, bytes calldata newSig)
        internal view
    {
        if (!pqc.mldsaVerify(keySets[currentEpoch].mldsaKeyId, record, "aegis-handover-v1", oldSig)) {
            revert HandoverBadSignature();
        }
        if (!pqc.mldsaVerify(newKeyId, record, "aegis-handover-v1", newSig)) revert HandoverBadNewSignature();
    }

    function _acceptHandover(uint64 epoch, KeySet memory ks, bytes calldata record) internal {
        uint64 start = uint64(bytes8(record[85:93]));
        emit HandoverAccepted(currentEpoch, epoch, start, uint8(record[93]));
        _store(epoch, ks);
        epochStart[epoch] = start;
    }

    function _checkHandover(bytes calldata r, bytes32 newHash, uint64 newEpoch) internal view {
        if (r.length != 102) revert HandoverMalformed("length");
        if (bytes4(r[0:4]) != "AEGH" || uint8(r[4]) != 1) revert HandoverMalformed("magic or version");
        if (uint64(bytes8(r[5:13])) != currentEpoch) revert HandoverMalformed("old epoch");
        if (uint64(bytes8(r[13:21])) != newEpoch) revert HandoverMalformed("new epoch");
        if (bytes32(r[21:53]) != keySets[currentEpoch].hash) revert HandoverMalformed("old key set hash");
        if (bytes32(r[53:85]) != newHash) revert HandoverMalformed("new key set hash");
        // the new epoch cannot take over batches the chain already holds
        if (uint64(bytes8(r[85:93])) < nextNumber) revert HandoverMalformed("first batch already accepted");
    }

    function _attest(bytes32 ksHash, bytes calldata quote, bytes[] calldata pckChain) internal view {
        TdxQuote.Result memory q = tdx.verify(quote, pckChain);
        if (!allowedMeasurement[q.measurement]) revert MeasurementNotAllowed(q.measurement);
        (bytes32 want0, bytes32 want1) = _expectedReportData(ksHash);
        if (q.reportData0 != want0) revert ReportDataMismatch(want0, q.reportData0);
        if (q.reportData1 != want1) revert ReportDataMismatch(want1, q.reportData1);
    }

    /// The report data a quote must carry for a key set hash (the tests with real quotes,
    /// whose report data is fixed, declare that value instead).
    function _expectedReportData(bytes32 ksHash) internal view virtual returns (bytes32, bytes32) {
        return keySetReportData(ksHash);
    }

    function _epoch(bytes calldata k) internal pure returns (uint64) {
        return uint64(bytes8(k[5:13]));
    }

    function _parse(bytes calldata k) internal view returns (KeySet memory ks) {
        if (k.length != KEYSET_BYTES) revert KeySetLength(k.length);
        if (bytes4(k[0:4]) != "AEGP" || uint8(k[4]) != 1) revert KeySetMalformed("magic or version");
        ks.mldsaKeyId = keccak256(k[13:2605]);
        if (!pqc.mldsaReady(ks.mldsaKeyId)) revert KeySetMldsaNotRegistered(ks.mldsaKeyId);
        ks.slhPkHash = keccak256(k[2605:2669]);
        if (k[2669] != 0x04) revert KeySetMalformed("secp256k1 key not uncompressed");
        ks.ecdsa = address(uint160(uint256(keccak256(k[2670:2734]))));
        (bool ok, bytes memory h) = address(2).staticcall(k);
        if (!ok) revert KeySetMalformed("sha256");
        ks.hash = bytes32(h);
    }

    function _store(uint64 epoch, KeySet memory ks) internal {
        if (hasKeySet && epoch != currentEpoch + 1) revert EpochNotNext(currentEpoch + 1, epoch);
        keySets[epoch] = ks;
        currentEpoch = epoch;
        hasKeySet = true;
        emit KeySetRegistered(epoch, ks.hash, ks.mldsaKeyId, ks.ecdsa, ks.insecure);
    }

    // ------------------------------------------------------------------ batches

    /// Accepts the next batch. ecdsaSig: r || s || recid (65 bytes, over the batch hash),
    /// or empty; mldsaSig: ML-DSA-87 over the batch hash (context "aegis-batch-v1"), or
    /// empty. Below emergency either suffices (ECDSA is checked first when given); at
    /// emergency ECDSA is refused and the ML-DSA signature is required.
    function submitBatch(bytes calldata header, bytes calldata ecdsaSig, bytes calldata mldsaSig) external {
        (bytes32 h, uint64 number, uint64 epoch) = _checkHeader(header);
        uint8 lvl = oracle.level();
        uint8 proof;
        if (ecdsaSig.length != 0 && mldsaSig.length == 0) {
            if (lvl >= 2) revert EcdsaRefusedAtEmergency();
            address want = keySets[epoch].ecdsa;
            address got = _recover(h, ecdsaSig);
            if (got != want) revert BadEcdsaSignature(got, want);
            proof = PROOF_ECDSA;
        } else {
            if (!pqc.mldsaVerify(keySets[epoch].mldsaKeyId, abi.encodePacked(h), "aegis-batch-v1", mldsaSig)) {
                revert BadMldsaSignature();
            }
            proof = PROOF_MLDSA;
        }
        _advance(number, h, header, epoch, proof, lvl);
    }

    /// Registers an SLH-DSA epoch seal over batches [first, first + count): its signature
    /// (context "aegis-seal-v1", over aegis's seal digest) must have been verified in a
    /// PQCVerifier session under the epoch's SLH-DSA key, named by the two halves' hashes.
    function registerSeal(
        uint64 epoch,
        bytes calldata slhPk,
        uint64 first,
        uint64 count,
        bytes32 root,
        bytes32 sigHeadHash,
        bytes32 htHash
    ) external {
        if (keySets[epoch].hash == 0) revert EpochUnknown(epoch);
        if (keccak256(slhPk) != keySets[epoch].slhPkHash) revert KeySetMalformed("SLH-DSA key of the epoch");
        bytes32 digest = keccak256(abi.encode(SEAL_TAG, uint256(chainId), uint256(first), uint256(count), root));
        bytes32 sid = pqc.slhSessionId(slhPk, abi.encodePacked(digest), "aegis-seal-v1", sigHeadHash, htHash);
        (bool fin, bool valid) = pqc.slhResult(sid);
        if (!fin || !valid) revert SealNotVerified(sid);
        seals[root] = Seal(first, count, epoch);
        emit SealRegistered(root, first, count, epoch);
    }

    /// Accepts the next batch by its place in a registered epoch seal (emergency only:
    /// below it, ECDSA or ML-DSA are the cheaper proofs). path: the Merkle siblings, leaf
    /// level first (aegis's tree: leaf keccak(0x00 || hash), node keccak(0x01 || l || r),
    /// an odd last node promoted).
    function submitBatchSealed(bytes calldata header, bytes32 root, bytes32[] calldata path) external {
        (bytes32 h, uint64 number, uint64 epoch) = _checkHeader(header);
        uint8 lvl = oracle.level();
        if (lvl < 2) revert SealRefusedBelowEmergency();
        Seal memory s = seals[root];
        if (s.count == 0) revert SealUnknown(root);
        if (number < s.first || number >= s.first + s.count || s.epoch != epoch) revert NotInSeal(root, number);
        if (_merkleRoot(h, number - s.first, s.count, path) != root) revert NotInSeal(root, number);
        _advance(number, h, header, epoch, PROOF_SEAL, lvl);
    }

    function _merkleRoot(bytes32 item, uint256 index, uint256 count, bytes32[] calldata path)
        internal pure returns (bytes32 node)
    {
        node = keccak256(abi.encodePacked(uint8(0), item));
        uint256 used = 0;
        while (count > 1) {
            bool promoted = (index == count - 1) && (count % 2 == 1);
            if (!promoted) {
                if (used >= path.length) return bytes32(0);
                bytes32 sib = path[used++];
                node = index % 2 == 0
                    ? keccak256(abi.encodePacked(uint8(1), node, sib))
                    : keccak256(abi.encodePacked(uint8(1), sib, node));
            }
            index /= 2;
            count = (count + 1) / 2;
        }
        if (used != path.length) return bytes32(0);
    }

    function _checkHeader(bytes calldata header) internal view returns (bytes32 h, uint64 number, uint64 epoch) {
        if (header.length != HEADER_BYTES) revert HeaderLength(header.length);
        uint256 version = uint256(bytes32(header[0:32]));
        if (version != 1) revert HeaderVersion(version);
        uint64 cid = uint64(uint256(bytes32(header[32:64])));
        if (cid != chainId) revert WrongChainId(chainId, cid);
        number = uint64(uint256(bytes32(header[64:96])));
        if (number != nextNumber) revert WrongBatchNumber(nextNumber, number);
        bytes32 parent = bytes32(header[96:128]);
        if (parent != headHash) revert ParentMismatch(headHash, parent);
        epoch = uint64(uint256(bytes32(header[384:416])));
        if (!hasKeySet) revert WrongKeyEpoch(currentEpoch, epoch);
        // the current epoch from its first batch on; the previous one (grace) below it
        uint64 start = epochStart[currentEpoch];
        bool current = epoch == currentEpoch && number >= start;
        bool grace = currentEpoch > 0 && epoch == currentEpoch - 1 && number < start && keySets[epoch].hash != 0;
        if (!current && !grace) revert WrongKeyEpoch(number < start ? currentEpoch - 1 : currentEpoch, epoch);
        h = keccak256(header);
    }

    function _advance(uint64 number, bytes32 h, bytes calldata header, uint64 epoch, uint8 proof, uint8 lvl) internal {
        nextNumber = number + 1;
        headHash = h;
        emit BatchAccepted(number, h, bytes32(header[96:128]), epoch, proof, lvl);
    }

    function _recover(bytes32 h, bytes calldata sig) internal pure returns (address) {
        if (sig.length != 65 || uint8(sig[64]) > 1) return address(0);
        return ecrecover(h, uint8(sig[64]) + 27, bytes32(sig[0:32]), bytes32(sig[32:64]));
    }

    /// (number, hash) of the chain head; (0, 0) before batch 1 (aegis never uses number 0).
    function head() external view returns (uint64 number, bytes32 hash) {
        return (nextNumber - 1, headHash);
    }
}
