#!/bin/sh
# The TEE boundary, checked: host code (src/rpc, src/store, src/cluster,
# src/ingest, src/sequencer, src/daemon) may include only the headers that
# carry no plaintext transaction and no private key. Anything else it needs
# from the trusted core goes through aegis/core.h, the narrow call table
# (DESIGN.md section 1). Allowed besides the host's own: aegis/hash.h (hashes
# of public data) and aegis/batch.h (the public batch header and its Merkle
# tree: what every verifier computes).
set -eu
root=${1:-$(dirname "$0")/../..}
allowed='aegis/(util|error|log|config|store|rpc|http|core|attest|metrics|ingest|cluster|json|hash|batch|sequencer)\.h|aegis/err/'
bad=0
for dir in rpc store cluster ingest sequencer daemon; do
    [ -d "$root/src/$dir" ] || continue
    for f in "$root/src/$dir"/*.[ch]; do
        [ -e "$f" ] || continue
        grep -n '#include *"aegis/' "$f" | grep -v -E "\"($allowed)" | while IFS= read -r line; do
            echo "boundary: $f: host code includes a trusted header: $line"
            echo x
        done
    done
done > /tmp/aegis-boundary.$$ 2>&1 || true
if grep -q '^boundary:' /tmp/aegis-boundary.$$; then
    grep '^boundary:' /tmp/aegis-boundary.$$
    bad=1
fi
rm -f /tmp/aegis-boundary.$$
if [ "$bad" -ne 0 ]; then
    echo "0 passed, 1 failed"
    exit 1
fi
echo "boundary: host code (rpc/, store/, cluster/, ingest/, sequencer/, daemon/) includes only host-safe headers"
echo "1 passed, 0 failed"
