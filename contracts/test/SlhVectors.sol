// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

import {TestBase} from "./Vm.sol";
import {SlhHarness} from "./SlhHarness.sol";
import {SLHDSA} from "../src/SLHDSA.sol";

/// One vectors/slh/<name>.json case (tools/slh-vectors.js), in the two parts a contract
/// runs in separate transactions: FORS (H_msg, indices, PK_FORS) and the hypertree. Each
/// part runs in its own test transaction and is checked against the reference's
/// intermediate values, so a refusal must come from the part that differs.
abstract contract SlhVectors is TestBase {
    event log_named_uint(string key, uint256 val);

    SlhHarness internal h;

    function setUp() public virtual {
        h = new SlhHarness();
    }

    function _j(string memory name) internal view returns (string memory) {
        return vm.readFile(string.concat("vectors/slh/", name, ".json"));
    }

    function _b32(bytes memory b, uint256 off) internal pure returns (bytes32 r) {
        assembly {
            r := mload(add(add(b, 32), off))
        }
    }

    /// FORS part: PK_FORS, idx_tree and idx_leaf equal the reference's.
    function _fors(string memory name) internal {
        string memory j = _j(name);
        bytes memory pk = vm.parseJsonBytes(j, ".pk");
        uint256 g = gasleft();
        (bytes32 fpk, uint256 tree, uint256 leaf) =
            h.fors(_b32(pk, 0), _b32(pk, 32), vm.parseJsonBytes(j, ".mprime"), vm.parseJsonBytes(j, ".sigHead"));
        emit log_named_uint("fors gas", g - gasleft());
        assertEq(tree, vm.parseJsonUint(j, ".idxTree"), string.concat(name, ": idx_tree"));
        assertEq(leaf, vm.parseJsonUint(j, ".idxLeaf"), string.concat(name, ": idx_leaf"));
        assertEq(fpk, _b32(vm.parseJsonBytes(j, ".forsPk"), 0), string.concat(name, ": PK_FORS"));
    }

    /// Hypertree layers [from, to) from the reference's node before them; after layer 7
    /// the node is compared with PK.root: equal iff the case is valid.
    function _ht(string memory name, uint256 from, uint256 to) internal {
        string memory j = _j(name);
        bytes memory pk = vm.parseJsonBytes(j, ".pk");
        bytes32 node = from == 0
            ? _b32(vm.parseJsonBytes(j, ".forsPk"), 0)
            : _b32(vm.parseJsonBytes(j, string.concat(".layers[", vm.toString(from - 1), "]")), 0);
        uint256 g = gasleft();
        SLHDSA.Pos memory at = SLHDSA.Pos(0, vm.parseJsonUint(j, ".idxTree"), vm.parseJsonUint(j, ".idxLeaf"));
        bytes32 out = h.ht(_b32(pk, 0), node, at, vm.parseJsonBytes(j, ".sigHt"), from, to);
        emit log_named_uint("ht gas", g - gasleft());
        assertEq(out, _b32(vm.parseJsonBytes(j, string.concat(".layers[", vm.toString(to - 1), "]")), 0),
                 string.concat(name, ": hypertree node"));
        if (to == 8) {
            assertTrue((out == _b32(pk, 32)) == vm.parseJsonBool(j, ".ok"), string.concat(name, ": verdict"));
        }
    }
}
