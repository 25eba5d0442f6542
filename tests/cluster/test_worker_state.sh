#!/usr/bin/env bash
# test_worker_state.sh - a worker restarts from its sealed state and reads
# the log on from there (not from its first record), with everything the log
# built in its core: pending transactions (a sender's nonces 2 and 3 wait
# behind a gap in every worker's mempool), the registry (an admin change), the
# risk level and the key epoch (an emergency assessment rotates the keys).
# Stopped cleanly, then killed, then with its state file tampered with (it
# then applies the log from its start): each time it catches up, the gap's
# transactions are included in the same batch everywhere once nonce 1 comes,
# no worker dissents, and the chain verifies with quorum 2.
. "$(dirname "$0")/lib.sh"

tc_configure() {
    local i
    "$AEGIS" keygen --type ml-dsa-87 --out "$TC_DIR/admin" > /dev/null || return 1
    "$AEGIS" keygen --type ml-dsa-87 --out "$TC_DIR/oracle" > /dev/null || return 1
    for i in 1 2 3; do
        printf '\n[assets]\nadmin_keys = ["%s"]\n' "$TC_DIR/admin.pub" >> "$AC_DIR/w$i/aegis.toml"
        printf '\n[quantum]\noracle_keys = ["%s"]\n' "$TC_DIR/oracle.pub" >> "$AC_DIR/w$i/aegis.toml"
    done
}
tc_setup 3

KEY="$TC_DIR/sender.key"
tc_keyfile "$KEY"
submit() {   # worker, nonce, out-file [options]
    local i=$1 n=$2 out=$3; shift 3
    timeout 90 "$AEGIS" submit --rpc "$(ac_url "$i")" --allow-sim --key "$KEY" --to "$TC_TO" \
        --nonce "$n" --value $((1000 + n)) "$@" > "$out" 2>&1
}
lg() { "$AEGIS" loadgen --rpc "$(ac_url "$1")" --allow-sim --count "$2" --senders 8 > "$3" 2>&1; }
registry() { "$AEGIS" assets list --json --rpc "$(ac_url "$1")" 2>/dev/null; }
level() { ac_status "$1" | sed -n '/"risk": *{/,/}/p' | ac_json_field level; }
epoch() { ac_status "$1" | sed -n '/"core": *{/,$p' | ac_json_field key_epoch; }
restored() { grep -c 'restored from the sealed worker state' "$AC_DIR/w$1/log"; }
records() {   # method, first number, worker, out-file: every record it serves, one per line (to the first missing)
    local k=$2 r
    : > "$4"
    while r=$(ac_rpc "$3" "$1" "[$k]") && grep -q '"result" *: *{' <<<"$r"; do
        echo "$r" >> "$4"; k=$((k + 1))
    done
}
seals() { records aegis_getSeal 1 "$@"; }
ckpts() { records aegis_getCheckpoint 0 "$@"; }
kept() {   # before-file, after-file, at least N: the records before still served, unchanged
    local n
    n=$(wc -l < "$1")
    [ "$n" -ge "$3" ] && [ "$(head -n "$n" "$2" | md5sum)" = "$(md5sum < "$1")" ]
}

L=$(ac_leader_wait 30) || { bad "an agreed leader"; tc_finish; }
F=$(( L % 3 + 1 ))
G=$(( F % 3 + 1 )); [ "$G" = "$L" ] && G=$(( G % 3 + 1 ))
tc_log "leader w$L, restarted follower w$F, load on w$G"

# the state the log builds: a registry change, a level change with its key
# rotation, two transactions behind a nonce gap, batches
"$AEGIS" assets add --rpc "$(ac_url "$G")" --admin-key "$TC_DIR/admin.key" --id vault-1 --type token \
    --chain-id 1 --contract 0x00000000000000000000000000000000000000aa --ops transfer,approve > "$TC_DIR/add" 2>&1 &&
    ok "registry change (add vault-1)" || bad "registry change: $(tail -n 1 "$TC_DIR/add")"
"$AEGIS" risk submit --rpc "$(ac_url "$G")" --key "$TC_DIR/oracle.key" --score 9500 --source test > "$TC_DIR/risk" 2>&1 &&
    ok "emergency assessment (9500)" || bad "assessment: $(tail -n 1 "$TC_DIR/risk")"
lg "$G" 120 "$TC_DIR/lg0" && ok "load: included" || { bad "load"; tail -n 2 "$TC_DIR/lg0"; }
submit "$G" 0 "$TC_DIR/n0" --wait --timeout 60 && ok "nonce 0 included" || { bad "nonce 0 included"; cat "$TC_DIR/n0"; }
submit "$G" 2 "$TC_DIR/n2" && submit "$G" 3 "$TC_DIR/n3" && ok "nonces 2 and 3 acknowledged (they wait for nonce 1)" ||
    { bad "nonces 2 and 3 acknowledged"; cat "$TC_DIR/n2" "$TC_DIR/n3"; }
lg "$G" 60 "$TC_DIR/lg1" && ok "more load: included" || { bad "more load"; tail -n 2 "$TC_DIR/lg1"; }
last=$(tc_wait_converged 3 1 60) || bad "workers converge before the restarts"
e1=$(epoch "$L")
[ "${e1:-1}" -ge 2 ] && ok "keys rotated at the level change (epoch $e1)" || bad "a rotation before the restarts (epoch ${e1:-?})"

# 1. a clean stop: the state is saved at the last cut record applied
sleep 2   # an idle window gets its seal
seals "$F" "$TC_DIR/seals.before"
ac_worker_stop "$F"
grep -q 'worker state saved' "$AC_DIR/w$F/log" && ok "w$F saved its state when stopped" || bad "w$F saved its state"
lg "$G" 80 "$TC_DIR/lg2" && ok "load while w$F is down: included" || bad "load while w$F is down"
tc_start_worker "$F" || tc_finish
line=$(grep 'restored from the sealed worker state' "$AC_DIR/w$F/log" | tail -n 1)
seq=$(sed -n 's/.* seq=\([0-9]*\).*/\1/p' <<<"$line")
if [ "$(restored "$F")" = 1 ] && [ "${seq:-0}" -gt 1 ] && grep -q "epoch=$e1 pending=[1-9]" <<<"$line"; then
    ok "w$F restored from its sealed state (log seq $seq, epoch $e1, transactions pending)"
else
    bad "w$F restored from its sealed state at epoch $e1 with pending transactions: ${line:-no such log line}"
fi
sb=$(sed -n 's/.* batch=\([0-9]*\) .*/\1/p' <<<"$line")
[ -n "$sb" ] && [ "$(ac_cluster_field "$F" state_batch)" -ge "$sb" ] &&
    ok "aegis status shows w$F's sealed state (state_batch >= $sb)" || bad "state_batch in w$F's status"
now=$(tc_wait_converged 3 1 60) && ok "w$F caught up from the log after its state (all at batch $now)" || bad "w$F catches up"
for i in 1 2 3; do registry "$i" > "$TC_DIR/reg$i"; done
grep -q vault-1 "$TC_DIR/reg$F" && cmp -s "$TC_DIR/reg$F" "$TC_DIR/reg$L" &&
    ok "w$F holds the registry the log built" || bad "w$F's registry differs from w$L's"
[ "$(level "$F")" = emergency ] && [ "$(epoch "$F")" = "$e1" ] && ok "w$F at the emergency level, key epoch $e1" ||
    bad "w$F's level/epoch: $(level "$F")/$(epoch "$F")"
sleep 3   # the sealer takes its cached seals back as the chain passes them
seals "$F" "$TC_DIR/seals.after"
nb=$(wc -l < "$TC_DIR/seals.before")
if kept "$TC_DIR/seals.before" "$TC_DIR/seals.after" 1; then
    ok "w$F's seals 1..$nb are the ones it made before the restart (none numbered anew)"
else
    bad "w$F's seals 1..$nb unchanged across the restart ($(wc -l < "$TC_DIR/seals.after") now)"
fi

# 2. killed: the state saved while it ran
lg "$G" 80 "$TC_DIR/lg3" && ok "load before the kill: included" || bad "load before the kill"
sleep 6   # past the save interval, with batches
lg "$G" 40 "$TC_DIR/lg4" || bad "load before the kill (2)"
ac_worker_signal "$F" KILL
sleep 1
lg "$G" 40 "$TC_DIR/lg5" && ok "load while w$F is dead: included" || bad "load while w$F is dead"
tc_start_worker "$F" || tc_finish
line=$(grep 'restored from the sealed worker state' "$AC_DIR/w$F/log" | tail -n 1)
seq2=$(sed -n 's/.* seq=\([0-9]*\).*/\1/p' <<<"$line")
[ "$(restored "$F")" = 2 ] && [ "${seq2:-0}" -gt "${seq:-0}" ] && grep -q "pending=[1-9]" <<<"$line" &&
    ok "w$F restored from the state saved while it ran (log seq $seq2)" || bad "w$F restored after SIGKILL: ${line:-none}"
tc_wait_converged 3 1 60 > /dev/null && ok "w$F caught up after SIGKILL" || bad "w$F catches up after SIGKILL"

# the waiting transactions came back with the state: nonce 1 frees them,
# and the batch that takes them is the same on every worker
submit "$F" 1 "$TC_DIR/n1" --wait --timeout 60 && ok "nonce 1 via w$F included" || { bad "nonce 1 included"; cat "$TC_DIR/n1"; }
tc_wait_converged 3 1 60 > /dev/null || bad "workers converge after nonce 1"
pend=$(tc_mempool "$F")
[ "${pend:-x}" = 0 ] && ok "nothing left pending on w$F (nonces 2 and 3 included after 1)" || bad "w$F still has ${pend:-?} pending"

# 3. a tampered state file: refused, the log is applied from its start
sleep 2
seals "$F" "$TC_DIR/seals.before3"
ckpts "$F" "$TC_DIR/ckpts.before3"
ac_worker_stop "$F"
f="$AC_DIR/w$F/data/state.sealed"
[ -f "$f" ] || f=$(find "$AC_DIR/w$F" -name state.sealed | head -n 1)
if [ -n "$f" ] && [ -f "$f" ]; then
    printf '\x55' | dd of="$f" bs=1 seek=40 conv=notrunc status=none
    tc_start_worker "$F" || tc_finish
    grep -q 'worker state does not unseal: applying the log from its start' "$AC_DIR/w$F/log" &&
        [ "$(restored "$F")" = 2 ] && ok "a tampered state is refused: w$F applies the log from its start" ||
        bad "w$F refuses its tampered state"
    tc_wait_converged 3 1 90 > /dev/null && ok "w$F caught up from the log's start" || bad "w$F catches up from the start"
    sleep 3
    seals "$F" "$TC_DIR/seals.after3"
    nb=$(wc -l < "$TC_DIR/seals.before3")
    if kept "$TC_DIR/seals.before3" "$TC_DIR/seals.after3" 2 && grep -q 'cached seals taken back' "$AC_DIR/w$F/log"; then
        ok "rebuilt from the log, w$F took its cached seals 1..$nb back (none numbered anew)"
    else
        bad "w$F's seals 1..$nb unchanged across its rebuild ($(wc -l < "$TC_DIR/seals.after3") now)"
    fi
    ckpts "$F" "$TC_DIR/ckpts.after3"
    nc=$(wc -l < "$TC_DIR/ckpts.before3")
    if kept "$TC_DIR/ckpts.before3" "$TC_DIR/ckpts.after3" 2; then
        ok "rebuilt from the log, w$F took its cached checkpoints 0..$((nc - 1)) back (none signed again)"
    else
        bad "w$F's checkpoints 0..$((nc - 1)) unchanged across its rebuild ($(wc -l < "$TC_DIR/ckpts.after3") now)"
    fi
else
    bad "w$F's state.sealed"
fi

lg "$F" 40 "$TC_DIR/lg6" && ok "load via w$F after its rebuild: included" || bad "load via w$F after its rebuild"
now=$(tc_wait_converged 3 1 60) || bad "workers converge at the end"
sleep 2
tc_chain_checks "$F"
tc_finish
