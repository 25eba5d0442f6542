#!/bin/sh
# demo-scenario.sh - issue 6 end to end against a running aegisd, with the
# aegis CLI only (plus curl for the three calls the CLI has no command for).
#
#   scripts/demo-scenario.sh setup [DIR]   oracle, admin and rogue keys + a config
#                                          (default DIR: var/demo); then start the node:
#                                            make run CONFIG=var/demo/aegis.toml
#   scripts/demo-scenario.sh run [DIR]     the scenario against $AEGIS_RPC
#                                          (default http://127.0.0.1:8545)
#   scripts/demo-scenario.sh verify [DIR]  after a restart: state, checkpoints, audit log
#
# The scenario: risk scores 5000 -> 6500 -> 9500 -> 4000 (levels normal,
# scheduled, emergency, normal; algorithm sets 7, 7, 3, 7 in the batch
# headers; a checkpoint at every level change; a key rotation on entering
# emergency), rejected assessments (unlisted key, tampered, stale, replayed),
# `aegis checkpoint verify --all` and a tampered checkpoint, an asset whose
# protection activates at its risk threshold, a bad admin signature, the
# audit log verified and a tampered copy refused, and a rollback to a
# checkpoint that restores exactly its registry and state hash.
# Each check prints "ok" or "FAIL"; the exit status is the number of failures.
set -eu

AEGIS=${AEGIS:-build/bin/aegis}
RPC=${AEGIS_RPC:-http://127.0.0.1:8545}
export AEGIS_RPC="$RPC"
CMD=${1:-}
DIR=${2:-var/demo}
T=$(mktemp -d /tmp/aegis-demo-XXXXXX)
trap 'rm -rf "$T"' EXIT
PASS=0
FAIL=0

say()  { printf '\n== %s\n' "$*"; }
ok()   { PASS=$((PASS + 1)); printf '   ok    %s\n' "$*"; }
bad()  { FAIL=$((FAIL + 1)); printf '   FAIL  %s\n' "$*"; }
# check "what" CMD...: the command must succeed
check() { what=$1; shift; if "$@" >"$T/out" 2>"$T/err"; then ok "$what"; else bad "$what"; cat "$T/err"; fi; }
# refuse "what" CODE CMD...: the command must fail naming CODE
refuse() {
    what=$1; code=$2; shift 2
    if "$@" >"$T/out" 2>"$T/err"; then bad "$what (accepted)"
    elif grep -q "$code" "$T/out" "$T/err"; then ok "$what: $code"
    else bad "$what (not $code)"; cat "$T/err"; fi
}
# jget KEY < JSON: the first scalar value of KEY (good enough for this demo)
jget() { grep -o "\"$1\": *\"\{0,1\}[^,\"}]*" | head -n 1 | sed 's/.*: *"\{0,1\}//'; }
rpc() { curl -s -H 'Content-Type: application/json' \
        -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":${2:-[]}}" "$RPC"; }
status() { "$AEGIS" status --json > "$T/status.json"; }
core() { sed -n '/"core"/,$p' "$T/status.json" | jget "$1"; }
last_batch() { status; jget last_batch < "$T/status.json"; }
ckpt_count() { "$AEGIS" checkpoint list | tail -n 1 | cut -d' ' -f1; }

setup() {
    mkdir -p "$DIR"
    abs=$(cd "$DIR" && pwd)
    for k in oracle admin rogue; do
        [ -f "$DIR/$k.key" ] || "$AEGIS" keygen --type ml-dsa-87 --out "$DIR/$k"
    done
    # config/aegis.toml with the demo's keys, its own data dir, and quicker
    # batches and checkpoints
    sed -e "s|^data_dir = .*|data_dir = \"$abs/data\"|" \
        -e "s|^oracle_keys = .*|oracle_keys = [\"$abs/oracle.pub\"]|" \
        -e "s|^interval_ms = .*|interval_ms = 200|" \
        -e "s|^checkpoint_interval = .*|checkpoint_interval = 10|" \
        -e "s|^admin_keys = .*|admin_keys = [\"$abs/admin.pub\"]|" config/aegis.toml > "$DIR/aegis.toml"
    grep -q '^\[assets\]' "$DIR/aegis.toml" ||
        printf '\n[assets]\nadmin_keys = ["%s/admin.pub"]\n' "$abs" >> "$DIR/aegis.toml"
    echo "wrote $DIR/aegis.toml (oracle $abs/oracle.pub, admin $abs/admin.pub)"
    echo "now start the node:  make run CONFIG=$DIR/aegis.toml"
    echo "and in another shell: scripts/demo-scenario.sh run $DIR"
}

risk_step() {   # score, expected level, expected algorithm set
    say "risk score $1: expect level $2, algorithm set $3"
    n0=$(ckpt_count)
    check "oracle assessment $1 accepted" "$AEGIS" risk submit --key "$DIR/oracle.key" --score "$1" --source demo-qrm
    status
    lvl=$(sed -n '/"risk"/,/}/p' "$T/status.json" | jget level)
    [ "$lvl" = "$2" ] && ok "status: level $lvl" || bad "status: level $lvl, expected $2"
    if [ "$2" != "$PREV_LEVEL" ]; then   # a checkpoint at the level change (off the hot path)
        i=0; while [ "$(ckpt_count)" = "$n0" ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
        [ "$(ckpt_count)" != "$n0" ] && ok "checkpoint taken at the level change" || bad "no checkpoint"
    fi
    if [ "$2" = emergency ]; then   # keys rotate on entering emergency
        i=0
        while status && e=$(core key_epoch) && [ "$e" = "$EPOCH" ] && [ $i -lt 50 ]; do
            sleep 0.2; i=$((i + 1))
        done
        [ "$e" -gt "$EPOCH" ] && ok "key epoch $EPOCH -> $e (emergency rotation)" || bad "key epoch still $e"
        EPOCH=$e
    fi
    check "20 transactions included" "$AEGIS" loadgen --count 20 --senders 4 --allow-sim
    "$AEGIS" batch get "$(last_batch)" --out "$T/batch.json"
    set -- "$1" "$2" "$3" "$(jget algorithm_set < "$T/batch.json")" "$(jget risk_score < "$T/batch.json")" \
        "$(jget checkpoint_number < "$T/batch.json")"
    [ "$4" = "$3" ] && [ "$5" = "$1" ] && ok "batch header: risk $5, algorithm set $4, checkpoint $6" ||
        bad "batch header: risk $5, algorithm set $4 (expected $1, $3)"
    PREV_LEVEL=$2
}

run() {
    [ -f "$DIR/oracle.key" ] || { echo "no keys in $DIR: run '$0 setup $DIR' first"; exit 2; }
    command -v curl >/dev/null || { echo "this demo needs curl"; exit 2; }
    say "the node at $RPC"
    "$AEGIS" status | head -n 12
    status; EPOCH=$(core key_epoch)
    PREV_LEVEL=$(sed -n '/"risk"/,/}/p' "$T/status.json" | jget level)
    # batches exist before the first level change
    check "warm-up transactions" "$AEGIS" loadgen --count 10 --allow-sim

    risk_step 5000 normal 7
    risk_step 6500 scheduled 7
    risk_step 9500 emergency 3
    risk_step 4000 normal 7

    say "rejected assessments (each recorded in aegis_getRiskDecisions)"
    refuse "signed by a key not in oracle_keys" AEGIS_ERR_RISK_UNKNOWN_KEY \
        "$AEGIS" risk submit --key "$DIR/rogue.key" --score 9999 --source demo-qrm
    now=$(date +%s)000
    refuse "11 minutes old" AEGIS_ERR_RISK_STALE \
        "$AEGIS" risk submit --key "$DIR/oracle.key" --score 9999 --source demo-qrm --at $((now - 660000))
    refuse "an old sequence number" AEGIS_ERR_RISK_OUT_OF_ORDER \
        "$AEGIS" risk submit --key "$DIR/oracle.key" --score 9999 --source demo-qrm --seq 1
    "$AEGIS" risk sign --key "$DIR/oracle.key" --score 4000 --source demo-qrm > "$T/a.json"
    sed 's/"score": *4000/"score":9999/' "$T/a.json" > "$T/tampered.json"
    rpc aegis_submitRiskAssessment "[$(cat "$T/tampered.json")]" > "$T/out"
    grep -q AEGIS_ERR_RISK_BAD_SIGNATURE "$T/out" && ok "tampered score: AEGIS_ERR_RISK_BAD_SIGNATURE" ||
        bad "tampered assessment not refused"
    rpc aegis_getRiskDecisions > "$T/dec.json"
    for c in RISK_UNKNOWN_KEY RISK_STALE RISK_OUT_OF_ORDER RISK_BAD_SIGNATURE; do
        grep -q "AEGIS_ERR_$c" "$T/dec.json" && ok "decision recorded: $c" || bad "decision not recorded: $c"
    done

    say "checkpoints: list, verify every one, tamper with one"
    "$AEGIS" checkpoint list
    check "aegis checkpoint verify --all --allow-sim" "$AEGIS" checkpoint verify --all --allow-sim
    tail -n 1 "$T/out"
    refuse "without --allow-sim the sim quotes are refused" AEGIS_ERR_CHAIN_SIM_REFUSED \
        "$AEGIS" checkpoint verify --all
    "$AEGIS" checkpoint show 1 --out "$T/ckpt.json" > /dev/null
    check "checkpoint 1 saved and verified offline" "$AEGIS" checkpoint verify "$T/ckpt.json" --allow-sim
    sed 's/"risk_level": \([0-9]\)/"risk_level": 9\1/' "$T/ckpt.json" > "$T/ckpt-bad.json"
    refuse "checkpoint 1 with its risk level changed" AEGIS_ERR_CKPT_HASH_MISMATCH "$AEGIS" checkpoint verify "$T/ckpt-bad.json" --allow-sim

    say "asset registry: an asset, a bad admin signature, activation, the audit log"
    check "add vault-1 (level 2, protection from risk 7000)" "$AEGIS" assets add --admin-key "$DIR/admin.key" \
        --id vault-1 --type token --chain-id 1 --contract 0x7777777777777777777777777777777777777777 \
        --level 2 --threshold 7000 --ops transfer,migrate --senders 0x1111111111111111111111111111111111111111
    refuse "a change signed by a key not in admin_keys" AEGIS_ERR_ADMIN_UNKNOWN_KEY \
        "$AEGIS" assets state vault-1 frozen --admin-key "$DIR/rogue.key"
    check "risk 7500 accepted" "$AEGIS" risk submit --key "$DIR/oracle.key" --score 7500 --source demo-qrm
    sleep 1
    st=$("$AEGIS" assets show vault-1 | jget state)
    [ "$st" = protected ] && ok "vault-1 protection activated at 7500 (state $st)" || bad "vault-1 is $st"
    check "aegis audit verify --rpc (hashes, chain, admin signatures, head)" \
        "$AEGIS" audit verify --admin-pub "$DIR/admin.pub" --rpc "$RPC"
    rpc aegis_getAuditLog > "$T/log.json"
    # one record per line, exactly as served (records are JSON strings)
    sed 's/^.*"records":\[//; s/\],"head".*$//' "$T/log.json" | sed 's/}","{/}"\n"{/g' |
        sed 's/^"//; s/"$//; s/\\"/"/g' > "$T/audit.jsonl"
    check "the audit log as a file verifies" "$AEGIS" audit verify "$T/audit.jsonl" --admin-pub "$DIR/admin.pub"
    sed '1s/vault-1/vault-9/' "$T/audit.jsonl" > "$T/audit-bad.jsonl"
    refuse "a tampered audit log" AEGIS_ERR_AUDIT "$AEGIS" audit verify "$T/audit-bad.jsonl" --admin-pub "$DIR/admin.pub"

    say "rollback to the checkpoint with vault-1 protected at risk 7500"
    sleep 1
    target=$(( $(ckpt_count) - 1 ))
    "$AEGIS" checkpoint show "$target" --out "$T/target.json" > /dev/null
    want_reg=$(jget registry_hash < "$T/target.json")
    want_state=$(jget state_hash < "$T/target.json")
    echo "   target: checkpoint $target, risk $(jget risk_score < "$T/target.json"), state hash $want_state"
    check "then: add vault-2" "$AEGIS" assets add --admin-key "$DIR/admin.key" --id vault-2 --type file \
        --uri s3://bucket/vault-2 --level 1
    check "then: freeze vault-1" "$AEGIS" assets state vault-1 frozen --admin-key "$DIR/admin.key"
    check "then: more transactions" "$AEGIS" loadgen --count 10 --allow-sim
    refuse "a rollback signed by a key not in admin_keys" AEGIS_ERR_ADMIN_UNKNOWN_KEY \
        "$AEGIS" checkpoint rollback "$target" --admin-key "$DIR/rogue.key" --allow-sim
    check "aegis checkpoint rollback $target (admin-signed; event signature checked)" \
        "$AEGIS" checkpoint rollback "$target" --admin-key "$DIR/admin.key" --allow-sim
    tail -n 2 "$T/out"
    reg=$("$AEGIS" assets list | tail -n 1 | sed 's/.*registry hash //')
    [ "$reg" = "$want_reg" ] && ok "registry hash = the checkpoint's ($reg)" || bad "registry $reg, want $want_reg"
    st=$("$AEGIS" assets show vault-1 | jget state)
    [ "$st" = protected ] && ok "vault-1 protected again" || bad "vault-1 is $st"
    if "$AEGIS" assets show vault-2 > /dev/null 2>&1; then bad "vault-2 still there"; else ok "vault-2 gone"; fi
    i=0; n=$(ckpt_count)
    while [ "$(ckpt_count)" = "$n" ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
    "$AEGIS" checkpoint show $(( $(ckpt_count) - 1 )) --out "$T/after.json" > /dev/null
    got=$(jget state_hash < "$T/after.json")
    [ "$got" = "$want_state" ] && ok "the checkpoint after the rollback has the target's state hash" ||
        bad "state hash after the rollback $got, want $want_state"
    check "checkpoints still verify" "$AEGIS" checkpoint verify --all --allow-sim
    check "the audit log (with the rollback) still verifies" \
        "$AEGIS" audit verify --admin-pub "$DIR/admin.pub" --rpc "$RPC"
    summary
}

verify_after_restart() {
    say "after a restart: state, checkpoints, audit log"
    status
    printf '   risk %s (%s), key epoch %s, last checkpoint %s\n' \
        "$(sed -n '/"risk"/,/}/p' "$T/status.json" | jget score)" \
        "$(sed -n '/"risk"/,/}/p' "$T/status.json" | jget level)" "$(core key_epoch)" \
        "$(sed -n '/"checkpoint"/,/}/p' "$T/status.json" | jget number)"
    check "aegis checkpoint verify --all --allow-sim" "$AEGIS" checkpoint verify --all --allow-sim
    tail -n 1 "$T/out"
    check "aegis audit verify" "$AEGIS" audit verify --admin-pub "$DIR/admin.pub" --rpc "$RPC"
    check "aegis verify --all (batches, across key epochs)" "$AEGIS" verify --all --allow-sim
    tail -n 1 "$T/out"
    summary
}

summary() {
    printf '\n%d checks passed, %d failed\n' "$PASS" "$FAIL"
    exit "$FAIL"
}

case "$CMD" in
    setup) setup ;;
    run) run ;;
    verify) verify_after_restart ;;
    *) sed -n '2,22p' "$0"; exit 2 ;;
esac
