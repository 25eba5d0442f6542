#!/usr/bin/env bash
# test_nats_one_down.sh - one of the three nats-servers SIGKILLed under load
# (the leader of the log stream, the worst one to lose): submissions go on
# and are included; brought back, it catches up (every replica of the
# streams current) and the cluster keeps working.
. "$(dirname "$0")/lib.sh"

tc_setup 3

# The nats-server leading stream S (n1..n3), asked of any running server.
stream_leader() {
    local i
    for i in 1 2 3; do
        ac_nats_pid "$i" >/dev/null || continue
        ac_nats_req "$i" "\$JS.API.STREAM.INFO.$1" '' 2>/dev/null | tr -d ' \n' |
            sed -n 's/.*"cluster":{[^}]*"leader":"n\([0-9]\)".*/\1/p' && return 0
    done
    return 1
}
# Every replica of stream S current (no lag), as its leader reports.
stream_current() {
    local i js
    for i in 1 2 3; do
        ac_nats_pid "$i" >/dev/null || continue
        js=$(ac_nats_req "$i" "\$JS.API.STREAM.INFO.$1" '' 2>/dev/null | tr -d ' \n') || continue
        grep -q '"replicas":\[' <<<"$js" || return 1
        [ "$(grep -o '"current":true' <<<"$js" | wc -l)" -eq 2 ] || return 1
        ! grep -q '"current":false\|"offline":true' <<<"$js"
        return
    done
    return 1
}

S=AEGIS
K=$(stream_leader "$S") || K=""
if [ -n "$K" ]; then ok "stream $S is replicated, leader n$K"; else bad "stream $S exists (leader)"; K=1; fi
check "stream $S: all replicas current before" stream_current "$S"

L=$(ac_leader_wait 30) || L=1
F=$(( L % 3 + 1 ))
tc_loadgen "$F" "$TC_DIR/lg1" --count 400 --rate 100 --senders 20 --timeout 60
sleep 1
ac_nats_stop "$K" KILL
tc_log "nats-server n$K killed under load on w$F"
sleep 2
b0=$(tc_last_batch "$F")
wait "$TC_LG_PID"
read -r inc cnt acked failed <<<"$(tc_loadgen_counts "$TC_DIR/lg1")"
tc_log "loadgen: ${inc:-?}/${cnt:-?} included, ${acked:-?} acknowledged, ${failed:-?} failed"
if [ "${inc:-0}" = "${cnt:-x}" ] && [ "$failed" = 0 ]; then ok "with n$K down: all $cnt submissions acknowledged and included"
else bad "with n$K down: ${inc:-?}/${cnt:-?} included, ${failed:-?} failed"; grep 'first failure' "$TC_DIR/lg1"; fi
b1=$(tc_last_batch "$F")
if [ -n "$b0" ] && [ -n "$b1" ] && [ "$b1" -gt "$b0" ]; then ok "batches cut with n$K down ($b0 -> $b1)"
else bad "batches cut with n$K down (${b0:-?} -> ${b1:-?})"; fi
K2=$(stream_leader "$S") || K2=""
[ -n "$K2" ] && [ "$K2" != "$K" ] && ok "stream $S has a new leader n$K2" || bad "stream $S leader moved off n$K (now '${K2}')"

# a second load on another worker, still with n$K down
G=$(( F % 3 + 1 ))
"$AEGIS" loadgen --rpc "$(ac_url "$G")" --allow-sim --count 100 --senders 10 --timeout 60 > "$TC_DIR/lg2" 2>&1 &&
    ok "load on w$G with n$K down: all included" || { bad "load on w$G with n$K down"; tail -n 2 "$TC_DIR/lg2"; }

ac_nats_start "$K"
ac_nats_wait 90 >/dev/null && ok "n$K back in the JetStream cluster" || bad "n$K rejoins the JetStream cluster"
deadline=$(( $(date +%s) + 60 ))
until stream_current "$S" && stream_current AEGIS_BATCHES; do
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 0.5
done
check "n$K caught up: every replica of $S and AEGIS_BATCHES current" stream_current "$S"
"$AEGIS" loadgen --rpc "$(ac_url "$F")" --allow-sim --count 100 --senders 10 --timeout 60 > "$TC_DIR/lg3" 2>&1 &&
    ok "load after n$K came back: all included" || { bad "load after n$K came back"; tail -n 2 "$TC_DIR/lg3"; }

last=$(tc_wait_converged 3 1 60) && ok "all workers at batch $last" || bad "workers converge"
for i in 1 2 3; do tc_chain "$i" "$TC_DIR/chain$i" --quorum 2 || { bad "w$i: aegis verify --all --quorum 2"; grep -v ' ok' "$TC_DIR/chain$i.out" | head; }; done
[ -s "$TC_DIR/chain1" ] && ok "w1: aegis verify --all --quorum 2 ran ($(wc -l < "$TC_DIR/chain1") batches)"
check "the workers serve one chain" tc_one_content "$TC_DIR"/chain[123]
check "batch numbers continuous" tc_continuous "$TC_DIR/chain1"
tc_no_dissent 3
tc_finish
