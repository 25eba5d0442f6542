#!/bin/sh
# The contract tests, as ctest runs them (tests/contracts/CMakeLists.txt):
#   contracts/scripts/test.sh AEGIS_BIN_DIR [forge test args...]
# Installs the pinned toolchain if needed, makes signatures with aegis's own C signer,
# builds the vector files, and runs forge under the EIP-7825 per-transaction gas cap
# (Osaka rules: every test transaction is limited to 2^24 gas and validated against it).
set -eu
bin=$(cd "$1" && pwd)
shift
cd "$(dirname "$0")/.."
sh scripts/setup.sh
rm -rf vectors
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
node tools/aegis-sign-cases.js "$bin" "$work/aegis" 4
node tools/mldsa-vectors.js aegis "$work/aegis"
node tools/aegis-sign-cases.js "$bin" "$work/aegis-slh" 2 slh-dsa-sha2-256s
node tools/slh-vectors.js aegis "$work/aegis-slh"
acvp=../tests/vectors/acvp
node tools/mldsa-vectors.js acvp "$acvp/ML-DSA-87-sigVer.json"
node tools/slh-vectors.js acvp "$acvp/SLH-DSA-SHA2-256s-sigGen.json"
node tools/chain-vectors.js "$bin" "$work/chain"
node tools/mldsa-vectors.js chain vectors/chain.json
att=../tests/vectors/attestation
node tools/tdx-vectors.js "$att/tdx_v4_dcapqvl" "$att/dstack_getquote_tdx_v4" "$att/tdx_v5_td15_dcapqvl"
export PATH="$PWD/node_modules/@foundry-rs/forge-linux-amd64/bin:$PWD/node_modules/@foundry-rs/anvil-linux-amd64/bin:$PATH"
export FOUNDRY_GAS_LIMIT=16777216
forge test --enable-tx-gas-limit --summary "$@"
# the same contracts in real transactions on anvil (Osaka, cap enforced by the node)
node tools/anvil-e2e.js "$PWD/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
