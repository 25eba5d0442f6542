// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.30;

/// The few forge cheatcodes our tests use (forge-std is not vendored: solcjs compiles
/// every byte we import, and this is all we need).
interface Vm {
    function readFile(string calldata path) external view returns (string memory);
    function parseJsonBytes(string calldata json, string calldata key) external pure returns (bytes memory);
    function parseJsonUint(string calldata json, string calldata key) external pure returns (uint256);
    function parseJsonBool(string calldata json, string calldata key) external pure returns (bool);
    function parseJsonAddress(string calldata json, string calldata key) external pure returns (address);
    function parseJsonBytes32Array(string calldata json, string calldata key) external pure returns (bytes32[] memory);
    function deployCode(string calldata artifactPath, bytes calldata constructorArgs) external returns (address);
    function parseBytes(string calldata s) external pure returns (bytes memory);
    function parseUint(string calldata s) external pure returns (uint256);
    function parseAddress(string calldata s) external pure returns (address);
    function store(address target, bytes32 slot, bytes32 value) external;
    function parseJsonString(string calldata json, string calldata key) external pure returns (string memory);
    function expectRevert(bytes4 revertData) external;
    function expectRevert(bytes calldata revertData) external;
    function expectRevert() external;
    function expectEmit(bool, bool, bool, bool) external;
    function etch(address target, bytes calldata code) external;
    function prank(address) external;
    function startPrank(address) external;
    function stopPrank() external;
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function addr(uint256 privateKey) external pure returns (address);
    function toString(uint256) external pure returns (string memory);
    function envOr(string calldata name, string calldata defaultValue) external view returns (string memory);
}

abstract contract TestBase {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    bool public IS_TEST = true;

    error AssertionFailed(string what);

    function assertTrue(bool c, string memory what) internal pure {
        if (!c) revert AssertionFailed(what);
    }

    function assertEq(uint256 a, uint256 b, string memory what) internal pure {
        if (a != b) revert AssertionFailed(what);
    }

    function assertEq(bytes32 a, bytes32 b, string memory what) internal pure {
        if (a != b) revert AssertionFailed(what);
    }
}
