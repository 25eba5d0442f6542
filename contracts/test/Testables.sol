// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {PQCVerifier} from "../src/PQCVerifier.sol";
import {SLHDSAEngine} from "../src/SLHDSAEngine.sol";
import {SequencerAttestation} from "../src/SequencerAttestation.sol";
import {QRMSOracle} from "../src/QRMSOracle.sol";
import {TdxQuote} from "../src/TdxQuote.sol";
import {Vm} from "./Vm.sol";

/// Test-only doors, each standing in for work a separate test runs for real (a test
/// transaction holds at most 2^24 gas):
/// - installMldsa: the registration session's result (PQCVerifierTest checks each step
///   against the same reference expansion, installed here with vm.etch);
/// - setSlhVerdict: an SLH-DSA session's verdict (PQCVerifierSlhTest runs sessions);
/// - the bound hash: real quotes carry fixed report data, so the tests declare it.
contract PQCVerifierTestable is PQCVerifier {
    constructor(SLHDSAEngine e) PQCVerifier(e) {}

    function installMldsa(bytes32 keyId, bytes32 tr0, bytes32 tr1, address t1, address[8] calldata rows) external {
        MldsaKey storage k = _mldsa[keyId];
        k.tr0 = tr0;
        k.tr1 = tr1;
        k.t1Hat = t1;
        k.rows = rows;
        k.rowsDone = 0xff;
    }

    function setSlhVerdict(bytes32 id, bool valid) external {
        _slh[id].state = valid ? 3 : 2;
    }
}

contract SequencerAttestationTestable is SequencerAttestation {
    bytes32 public bound0;
    bytes32 public bound1;

    constructor(PQCVerifier v, QRMSOracle o, TdxQuote t, uint64 cid, bool sim, address gov)
        SequencerAttestation(v, o, t, cid, sim, gov)
    {}

    function setBound(bytes32 b0, bytes32 b1) external {
        bound0 = b0;
        bound1 = b1;
    }

    function _expectedReportData(bytes32 ksHash) internal view override returns (bytes32, bytes32) {
        if (bound0 == 0 && bound1 == 0) return keySetReportData(ksHash);
        return (bound0, bound1);
    }
}

library Install {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// Installs vectors/mldsa/<name>.json's expansion in v at addresses from salt.
    function mldsa(PQCVerifierTestable v, string memory name, uint256 salt) internal returns (bytes32 keyId) {
        string memory j = vm.readFile(string.concat("vectors/mldsa/", name, ".json"));
        bytes memory pk = vm.parseJsonBytes(j, ".pk");
        bytes memory tr = vm.parseJsonBytes(j, ".tr");
        bytes32 t0;
        bytes32 t1;
        assembly {
            t0 := mload(add(tr, 32))
            t1 := mload(add(tr, 64))
        }
        address t1a = address(uint160(0xB000000 + salt * 16));
        vm.etch(t1a, bytes.concat(hex"00", vm.parseJsonBytes(j, ".t1hat")));
        address[8] memory rows;
        for (uint256 r = 0; r < 8; r++) {
            rows[r] = address(uint160(0xB000000 + salt * 16 + 1 + r));
            vm.etch(rows[r], bytes.concat(hex"00", vm.parseJsonBytes(j, string.concat(".rows[", vm.toString(r), "]"))));
        }
        keyId = keccak256(pk);
        v.installMldsa(keyId, t0, t1, t1a, rows);
    }
}
