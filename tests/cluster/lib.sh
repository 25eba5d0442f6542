# tests/cluster/lib.sh - shared by the cluster failure tests (bash).
# shellcheck shell=bash
#
# Real nats-servers and real aegisd workers on loopback, driven with the
# functions of scripts/aegis-cluster (sourced as a library); only
# build/bin/aegis, build/bin/aegisd, nats-server and coreutils are used.
# Each test: tc_setup, checks with ok/bad/check, tc_finish (prints
# "N passed, M failed", exits 1 on any failure, 77 when nats-server is
# missing). The cluster lives in a mktemp directory, removed on success
# (kept with its logs when a check failed or with KEEP=1).
#
# Environment: AEGIS_BIN (the build's bin directory; ctest sets it),
# KEEP=1 (keep the directory), AC_CHECKPOINT (checkpoint interval, 8).

set -u
TC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../scripts/aegis-cluster
. "$TC_HERE/../../scripts/aegis-cluster"
TC_NAME=$(basename "$0" .sh)
# checkpoints every few batches, so every test also crosses checkpoint batches
AC_CHECKPOINT=${AC_CHECKPOINT:-8}
TC_PASS=0
TC_FAIL=0
TC_T0=$(date +%s)
AEGIS="$AEGIS_BIN/aegis"

tc_log() { printf '[%s %4ss] %s\n' "$TC_NAME" $(( $(date +%s) - TC_T0 )) "$*"; }
ok()  { TC_PASS=$((TC_PASS + 1)); tc_log "ok    $*"; }
bad() { TC_FAIL=$((TC_FAIL + 1)); tc_log "FAIL  $*"; }
# check "what" CMD...: CMD must succeed
check() { local w=$1; shift; if "$@"; then ok "$w"; else bad "$w"; fi; }

tc_finish() {
    trap - EXIT
    tc_cleanup
    echo "$TC_PASS passed, $TC_FAIL failed"
    [ "$TC_FAIL" = 0 ] && [ "$TC_PASS" -gt 0 ]
    exit $?
}

# Stop what we started; keep the directory when something failed.
tc_cleanup() {
    [ -n "${TC_DIR:-}" ] || return 0
    ac_stop_all 2>/dev/null
    if [ "$TC_FAIL" -gt 0 ] || [ "${KEEP:-0}" = 1 ]; then
        local f
        for f in "$AC_DIR"/w*/log; do
            [ -s "$f" ] || continue
            echo "---- last lines of $f"
            grep -v 'level=debug' "$f" | tail -n 15
        done
        tc_log "kept $TC_DIR"
    else
        rm -rf "$TC_DIR"
    fi
}

# An unexpected end (set -e is not used; a signal, a syntax error): clean up
# and count it as a failure.
tc_abort() {
    TC_FAIL=$((TC_FAIL + 1))
    tc_log "FAIL  aborted"
    tc_cleanup
    echo "$TC_PASS passed, $TC_FAIL failed"
    exit 1
}

# tc_setup N [AUTH]: 3 nats-servers, workers 1..N one after another.
# Extra per-worker config: define tc_configure (called after ac_init).
tc_setup() {
    local n=$1 auth=${2:-0} i
    if ! command -v "$AC_NATS" >/dev/null 2>&1; then
        echo "SKIP: nats-server is not installed (scripts/install-deps)"
        echo "0 passed, 0 failed"
        exit 77
    fi
    [ -x "$AEGIS_BIN/aegisd" ] && [ -x "$AEGIS" ] || { echo "no $AEGIS_BIN/aegisd or aegis"; echo "0 passed, 1 failed"; exit 1; }
    TC_DIR=$(mktemp -d "${TMPDIR:-/tmp}/aegis-$TC_NAME.XXXXXX")
    AC_DIR="$TC_DIR/c"
    trap tc_abort INT TERM
    trap 'tc_abort' EXIT
    ac_init "$n" "$auth"
    if declare -F tc_configure >/dev/null; then tc_configure; fi
    for i in 1 2 3; do ac_nats_start "$i"; done
    if ! ac_nats_wait 30 >/dev/null; then
        bad "JetStream cluster formed (3 nats-servers, a meta leader)"
        tc_finish
    fi
    ok "JetStream cluster formed (3 nats-servers, a meta leader)"
    for i in $(seq 1 "$n"); do
        tc_start_worker "$i" || tc_finish
        if [ "$i" = 1 ] && ! ac_leader_wait 30 >/dev/null; then
            bad "w1 leads after start (it creates the key set)"; tc_finish
        fi
    done
    local l
    if l=$(ac_leader_wait 30); then ok "$n workers up, leader w$l"; else bad "$n workers agree on a leader"; tc_finish; fi
}

# Start worker I and wait for aegis_status (60 s); a failure is counted.
tc_start_worker() {
    if ac_worker_up "$1" 60 2>"$TC_DIR/start.err"; then
        [ -s "$TC_DIR/start.err" ] && tc_log "$(cat "$TC_DIR/start.err")"
        tc_log "w$1 up at $(ac_url "$1")"
        return 0
    fi
    [ -s "$TC_DIR/start.err" ] && tc_log "$(cat "$TC_DIR/start.err")"
    bad "w$1 came up (log: $AC_DIR/w$1/log)"
    return 1
}

tc_worker_running() { ac_worker_running "$1"; }

# last_batch of worker I ("" when it does not answer)
tc_last_batch() { ac_last_batch "$1"; }

# Wait until every running worker among 1..N reports the same last_batch
# (>= MIN) and it holds still for a moment; prints it.
tc_wait_converged() {
    local n=$1 min=${2:-0} secs=${3:-60} deadline i lb first same prev=""
    deadline=$(( $(date +%s) + secs ))
    while [ "$(date +%s)" -lt "$deadline" ]; do
        first=""; same=1
        for i in $(seq 1 "$n"); do
            tc_worker_running "$i" || continue
            lb=$(tc_last_batch "$i")
            [ -n "$lb" ] || { same=0; break; }
            if [ -z "$first" ]; then first=$lb; elif [ "$lb" != "$first" ]; then same=0; break; fi
        done
        if [ "$same" = 1 ] && [ -n "$first" ] && [ "$first" -ge "$min" ]; then
            if [ "$first" = "$prev" ]; then echo "$first"; return 0; fi
            prev=$first
        else
            prev=""
        fi
        sleep 0.5
    done
    return 1
}

# Wait (up to SECS) until worker I counts its last batch final (co-attested
# by attest_quorum workers): finality follows the batch by a publication
# and the co-attestations, asynchronously. Returns 1 on timeout.
tc_wait_final() {
    local i=$1 deadline=$(( $(date +%s) + ${2:-30} )) lb lf
    while [ "$(date +%s)" -lt "$deadline" ]; do
        lb=$(tc_last_batch "$i"); lf=$(ac_cluster_field "$i" last_final)
        [ -n "$lb" ] && [ -n "$lf" ] && [ "$lf" -ge "$lb" ] && return 0
        sleep 0.5
    done
    return 1
}

# The batches worker I serves as "N HASH" lines, from `aegis verify --all`
# (one call; it also checks numbering and parent links). Extra args go to
# aegis verify (e.g. --quorum 2). Verify's own output is kept in FILE.out.
tc_chain() {
    local i=$1 out=$2; shift 2
    case " $* " in *" --quorum "*) tc_wait_final "$i" 30 ;; esac
    timeout 300 "$AEGIS" verify --all --allow-sim --rpc "$(ac_url "$i")" "$@" > "$out.out" 2>&1
    local rc=$?
    sed -n 's/^batch \([0-9][0-9]*\) \(0x[0-9a-f]*\).*/\1 \2/p' "$out.out" > "$out"
    return $rc
}

# Every number with one content: the union of "N HASH" files has no number
# twice with different hashes. Prints the offending numbers.
tc_one_content() {
    local f
    for f in "$@"; do [ -s "$f" ] || { echo "$f: no batches"; return 1; }; done
    sort -u "$@" | awk '{ if ($1 in h && h[$1] != $2) { print "batch " $1 ": " h[$1] " and " $2; bad = 1 } h[$1] = $2 }
                         END { exit bad }'
}

# Numbers 1..max with no gap in an "N HASH" file.
tc_continuous() {
    sort -n -u "$1" | awk '{ if ($1 != NR) { print "gap or reuse at " NR " (found " $1 ")"; exit 1 } } END { if (NR == 0) exit 1 }'
}

# tc_loadgen I OUTFILE ARGS...: aegis loadgen against worker I, in the
# background; its pid in TC_LG_PID. Its summary line is the last line of
# OUTFILE.
tc_loadgen() {
    local i=$1 out=$2; shift 2
    "$AEGIS" loadgen --rpc "$(ac_url "$i")" --allow-sim "$@" > "$out" 2>&1 &
    TC_LG_PID=$!
}

# From a loadgen summary: "included count acked failed".
tc_loadgen_counts() {
    sed -n 's/^loadgen: \([0-9]*\)\/\([0-9]*\) included.*; \([0-9]*\) acknowledged.*, \([0-9]*\) failed,.*/\1 \2 \3 \4/p' "$1" | tail -n 1
}

# mempool size of worker I
tc_mempool() { ac_status "$1" | sed -n '/"core"/,$p' | ac_json_field mempool; }

# A secp256k1 key file for `aegis submit --key`.
tc_keyfile() { (umask 077; od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$1"); }
TC_TO=0x4242424242424242424242424242424242424242

# tc_quorum3 FROM TO I WHAT: batches FROM..TO ("" TO: none came) carry the
# co-attestations of all three workers, checked through worker I.
tc_quorum3() {
    local from=$1 to=$2 i=$3 what=$4
    if [ -z "$to" ]; then bad "batches after $what"; return; fi
    "$AEGIS" verify --from "$from" --to "$to" --quorum 3 --allow-sim --rpc "$(ac_url "$i")" > "$TC_DIR/q3" 2>&1 &&
        ok "batches $from..$to co-attested by all three workers ($what)" ||
        { bad "batches $from..$to co-attested by all three (verify --quorum 3)"; grep -v ' ok' "$TC_DIR/q3" | head -n 5; }
}

# tc_chain_checks I: every worker's chain verifies with quorum 2, the three
# serve one chain, worker I's batch numbers are continuous, nobody dissented.
tc_chain_checks() {
    local i
    for i in 1 2 3; do
        tc_chain "$i" "$TC_DIR/chain$i" --quorum 2 ||
            { bad "w$i: aegis verify --all --quorum 2"; grep -v ' ok' "$TC_DIR/chain$i.out" | head -n 5; }
    done
    ok "aegis verify --all --quorum 2 ran on the three workers ($(wc -l < "$TC_DIR/chain1") batches)"
    check "the three workers serve one chain" tc_one_content "$TC_DIR"/chain[123]
    check "batch numbers continuous" tc_continuous "$TC_DIR/chain$1"
    tc_no_dissent 3
}

# No worker among 1..N counted a dissent (a follower that computed a
# different batch than the one published).
tc_no_dissent() {
    local i d all="" bad_=0
    for i in $(seq 1 "$1"); do
        ac_worker_running "$i" || continue
        d=$(ac_cluster_field "$i" dissents)
        all="$all w$i:${d:-?}"
        [ "${d:-x}" = 0 ] || bad_=1
    done
    if [ "$bad_" = 0 ] && [ -n "$all" ]; then ok "no dissent on any worker ($all)"; else bad "dissents counted (${all:- no worker answers})"; fi
}
