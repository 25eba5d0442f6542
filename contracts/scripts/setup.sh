#!/bin/sh
# Installs the contracts' toolchain from npm exactly as package-lock.json pins it
# (forge and anvil 1.7.1 native binaries, solcjs 0.8.30). Idempotent; needs only node/npm.
set -eu
cd "$(dirname "$0")/.."
stamp=node_modules/.aegis-lock
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
    exit 0
fi
echo "contracts: npm ci (forge, anvil, solc from package-lock.json)"
npm ci --no-audit --no-fund --prefer-offline
cp package-lock.json "$stamp"
