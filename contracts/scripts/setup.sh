#!/bin/sh
# Installs the contracts' toolchain from npm exactly as package-lock.json pins it
# (forge and anvil 1.7.1 native binaries, solcjs 0.8.30). Idempotent; needs only node/npm.
set -eu
cd "$(dirname "$0")/.."
stamp=node_modules/.aegis-lock
# up to date: the lockfile installed last time, and its packages still on disk
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp" &&
   [ -x node_modules/@foundry-rs/forge-linux-amd64/bin/forge ] &&
   [ -x node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil ] &&
   [ -f node_modules/solc/soljson.js ] && [ -f node_modules/js-sha3/package.json ]; then
    exit 0
fi
echo "contracts: npm ci (forge, anvil, solc from package-lock.json)"
npm ci --no-audit --no-fund --prefer-offline
cp package-lock.json "$stamp"
