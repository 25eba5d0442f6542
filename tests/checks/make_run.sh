#!/bin/sh
# The first minutes of a new user (issue 12), checked without running
# anything: `make run LISTEN=...` passes the address on, var/ is made 0700,
# the development oracle of README's "Try it" is made and trusted, and
# secret key files are ignored by git. A dry run (make -n) only prints.
set -u
root=${1:-$(dirname "$0")/../..}
fail=0
bad() { echo "make_run: $*"; fail=1; }
out=$(make -C "$root" -n run LISTEN=127.0.0.1:9999 2>&1)
echo "$out" | grep -q -- "--listen 127.0.0.1:9999" || bad "make run LISTEN=... does not pass --listen"
echo "$out" | grep -q -- "--oracle-key var/dev-oracle.pub" || bad "make run does not trust the development oracle"
echo "$out" | grep -q -- "keygen --type ml-dsa-87 --out var/dev-oracle" || bad "make run does not make the development oracle"
echo "$out" | grep -q -- "install -d -m 0700 var" || bad "make run does not make var/ 0700"
make -C "$root" -n run 2>&1 | grep -q -- "--listen" && bad "make run without LISTEN overrides rpc.listen"
if command -v git >/dev/null 2>&1 && git -C "$root" rev-parse >/dev/null 2>&1; then
    git -C "$root" check-ignore -q oracle.key || bad "*.key is not in .gitignore"
    git -C "$root" check-ignore -q config/local.toml || bad "config/local.toml is not in .gitignore"
fi
if [ "$fail" -ne 0 ]; then
    echo "0 passed, 1 failed"
    exit 1
fi
echo "make_run: LISTEN, var/ 0700, development oracle, ignored secrets"
echo "1 passed, 0 failed"
