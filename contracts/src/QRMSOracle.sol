// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {PQCVerifier} from "./PQCVerifier.sol";

/// Quantum-risk assessments on chain, in the format aegisd accepts (docs/internals/risk.md):
/// the canonical encoding
///   "AEGR" | u8 1 | key_id 32 | u8 len | source | u64 seq | u64 ts | u16 score |
///   u8 algorithms | u16 n | n x (u8 len | id | u16 score)        (big-endian)
/// signed with ML-DSA-87 (pure, context "aegis-risk-v1") by a registered oracle key
/// (key_id = keccak256(pk), checked through PQCVerifier, so the oracle stays sound when
/// ECDSA no longer is). Sequence numbers increase strictly per source. The level follows
/// the latest accepted assessment: emergency at score >= emergencyThreshold (9000),
/// scheduled at >= scheduledThreshold (6000), else normal.
contract QRMSOracle {
    uint8 public constant NORMAL = 0;
    uint8 public constant SCHEDULED = 1;
    uint8 public constant EMERGENCY = 2;
    uint8 internal constant ALG_MLDSA87 = 1;
    uint8 internal constant ALG_SLHDSA256S = 2;
    uint8 internal constant ALG_ECDSA = 4;

    PQCVerifier public immutable pqc;
    address public governance;
    uint16 public scheduledThreshold = 6000;
    uint16 public emergencyThreshold = 9000;

    mapping(bytes32 => bool) public oracleKey;
    mapping(bytes32 => uint64) internal _lastSeq; // keccak256(source) => seq + 1 (0: none)

    uint16 public score;
    uint8 public level;
    uint8 public algorithms = ALG_MLDSA87 | ALG_SLHDSA256S | ALG_ECDSA;
    uint64 public timestampMs;
    bytes32 public lastAssessment; // keccak256 of its canonical encoding

    error NotGovernance(address caller);
    error ThresholdsInvalid(uint16 scheduled, uint16 emergency);
    error AssessmentMalformed(string what);
    error OracleKeyUnknown(bytes32 keyId);
    error AssessmentBadSignature(bytes32 keyId);
    error SequenceNotIncreasing(string source, uint64 seq, uint64 last);

    event OracleKeySet(bytes32 indexed keyId, bool allowed);
    event ThresholdsSet(uint16 scheduled, uint16 emergency);
    event AssessmentAccepted(
        bytes32 indexed digest, bytes32 indexed keyId, string source, uint64 seq, uint64 timestampMs,
        uint16 score, uint8 level, uint8 algorithms
    );
    event LevelChanged(uint8 from, uint8 to, uint16 score);

    struct Assessment {
        bytes32 keyId;
        string source;
        uint64 seq;
        uint64 ts;
        uint16 score;
        uint8 algorithms;
    }

    constructor(PQCVerifier verifier, address gov) {
        pqc = verifier;
        governance = gov;
    }

    modifier onlyGovernance() {
        if (msg.sender != governance) revert NotGovernance(msg.sender);
        _;
    }

    function setOracleKey(bytes32 keyId, bool allowed) external onlyGovernance {
        oracleKey[keyId] = allowed;
        emit OracleKeySet(keyId, allowed);
    }

    function setThresholds(uint16 scheduled, uint16 emergency) external onlyGovernance {
        if (scheduled == 0 || scheduled > emergency || emergency > 10000) revert ThresholdsInvalid(scheduled, emergency);
        scheduledThreshold = scheduled;
        emergencyThreshold = emergency;
        emit ThresholdsSet(scheduled, emergency);
    }

    function setGovernance(address gov) external onlyGovernance {
        governance = gov;
    }

    function levelOf(uint16 s) public view returns (uint8) {
        if (s >= emergencyThreshold) return EMERGENCY;
        if (s >= scheduledThreshold) return SCHEDULED;
        return NORMAL;
    }

    /// The algorithm set recommended at a level when the assessment names none: ECDSA
    /// only below emergency (aegis's default hybrid policy).
    function defaultAlgorithms(uint8 lvl) public pure returns (uint8) {
        return lvl == EMERGENCY ? ALG_MLDSA87 | ALG_SLHDSA256S : ALG_MLDSA87 | ALG_SLHDSA256S | ALG_ECDSA;
    }

    function lastSeq(string calldata source) external view returns (bool seen, uint64 seq) {
        uint64 v = _lastSeq[keccak256(bytes(source))];
        return (v != 0, v == 0 ? 0 : v - 1);
    }

    /// Accepts a signed assessment (canonical encoding + ML-DSA-87 signature).
    function submitAssessment(bytes calldata enc, bytes calldata sig) external {
        Assessment memory a = decode(enc);
        if (!oracleKey[a.keyId]) revert OracleKeyUnknown(a.keyId);
        bytes32 sk = keccak256(bytes(a.source));
        uint64 last = _lastSeq[sk];
        // the order before the (costly) signature: a replay is refused cheaply either way
        if (last != 0 && a.seq <= last - 1) revert SequenceNotIncreasing(a.source, a.seq, last - 1);
        if (!pqc.mldsaVerify(a.keyId, enc, "aegis-risk-v1", sig)) revert AssessmentBadSignature(a.keyId);
        _lastSeq[sk] = a.seq + 1;

        uint8 old = level;
        uint8 lvl = levelOf(a.score);
        score = a.score;
        level = lvl;
        algorithms = a.algorithms != 0 ? a.algorithms : defaultAlgorithms(lvl);
        timestampMs = a.ts;
        bytes32 digest = keccak256(enc);
        lastAssessment = digest;
        emit AssessmentAccepted(digest, a.keyId, a.source, a.seq, a.ts, a.score, lvl, algorithms);
        if (lvl != old) emit LevelChanged(old, lvl, a.score);
    }

    /// Strict decode of the canonical encoding (the checks of aegis's encoder).
    function decode(bytes calldata e) public pure returns (Assessment memory a) {
        if (e.length < 4 + 1 + 32 + 1) revert AssessmentMalformed("short");
        if (bytes4(e[0:4]) != "AEGR") revert AssessmentMalformed("magic");
        if (uint8(e[4]) != 1) revert AssessmentMalformed("version");
        a.keyId = bytes32(e[5:37]);
        uint256 sl = uint8(e[37]);
        uint256 p = 38;
        if (sl == 0 || sl > 64 || e.length < p + sl + 21) revert AssessmentMalformed("source");
        _checkId(e[p:p + sl], "source");
        a.source = string(e[p:p + sl]);
        p += sl;
        a.seq = uint64(bytes8(e[p:p + 8]));
        a.ts = uint64(bytes8(e[p + 8:p + 16]));
        a.score = uint16(bytes2(e[p + 16:p + 18]));
        a.algorithms = uint8(e[p + 18]);
        uint256 n = uint16(bytes2(e[p + 19:p + 21]));
        p += 21;
        if (a.seq >= 1 << 63 || a.ts >= 1 << 63) revert AssessmentMalformed("seq or timestamp");
        if (a.score > 10000) revert AssessmentMalformed("score");
        if (a.algorithms > 7) revert AssessmentMalformed("algorithms");
        if (n > 256) revert AssessmentMalformed("asset count");
        bytes calldata prev = e[0:0];
        for (uint256 i = 0; i < n; i++) {
            if (p >= e.length) revert AssessmentMalformed("asset");
            uint256 il = uint8(e[p]);
            if (il == 0 || il > 64 || e.length < p + 1 + il + 2) revert AssessmentMalformed("asset id");
            bytes calldata id = e[p + 1:p + 1 + il];
            _checkId(id, "asset id");
            if (i > 0 && !_less(prev, id)) revert AssessmentMalformed("assets not strictly sorted");
            if (uint16(bytes2(e[p + 1 + il:p + 3 + il])) > 10000) revert AssessmentMalformed("asset score");
            prev = id;
            p += 3 + il;
        }
        if (p != e.length) revert AssessmentMalformed("trailing bytes");
    }

    /// [A-Za-z0-9._:/-]
    function _checkId(bytes calldata s, string memory what) internal pure {
        for (uint256 i = 0; i < s.length; i++) {
            bytes1 c = s[i];
            bool ok = (c >= "A" && c <= "Z") || (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c == "." || c == "_"
                || c == ":" || c == "/" || c == "-";
            if (!ok) revert AssessmentMalformed(what);
        }
    }

    function _less(bytes calldata x, bytes calldata y) internal pure returns (bool) {
        uint256 n = x.length < y.length ? x.length : y.length;
        for (uint256 i = 0; i < n; i++) {
            if (x[i] != y[i]) return x[i] < y[i];
        }
        return x.length < y.length;
    }
}
