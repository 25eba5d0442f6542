#!/usr/bin/env bash
# test_leader_kill.sh - load on a follower while the leader is SIGKILLed,
# repeatedly (TC_KILLS, default 5; the killed worker is restarted each time):
# every envelope a worker acknowledged is in a batch or still pending, no
# submission to the follower is refused, a new leader takes over each time,
# every worker serves the same chain (numbers 1..N without a gap, one hash
# per number) and `aegis verify --all --quorum 2` passes against each worker.
. "$(dirname "$0")/lib.sh"

KILLS=${TC_KILLS:-5}
tc_setup 3

R="$TC_DIR/rounds"
mkdir -p "$R"
for r in $(seq 1 "$KILLS"); do
    L=$(ac_leader_wait 30) || { bad "round $r: an agreed leader"; break; }
    F=$(( L % 3 + 1 ))
    tc_log "round $r: leader w$L, load on follower w$F"
    tc_loadgen "$F" "$R/lg$r" --count 300 --rate 150 --senders 30 --concurrency 4 --timeout 30
    sleep 1
    ac_worker_signal "$L" KILL
    t0=$(ac_now_ms)
    # a new leader among the two survivors
    nl=""
    while [ $(( $(ac_now_ms) - t0 )) -lt 15000 ]; do
        nl=$(ac_leader) && [ -n "$nl" ] && [ "$nl" != "$L" ] && break
        nl=""; sleep 0.1
    done
    if [ -n "$nl" ]; then ok "round $r: w$nl leads $(( $(ac_now_ms) - t0 )) ms after SIGKILL of w$L"
    else bad "round $r: no new leader within 15 s after SIGKILL of w$L"; fi
    sleep 0.5
    tc_start_worker "$L" || break
    wait "$TC_LG_PID"
    lg_rc=$?
    read -r inc cnt acked failed <<<"$(tc_loadgen_counts "$R/lg$r")"
    if [ -z "${inc:-}" ]; then bad "round $r: loadgen summary"; cat "$R/lg$r"; continue; fi
    pend=$(tc_mempool "$F")
    tc_log "round $r: loadgen rc $lg_rc: $inc/$cnt included, $acked acknowledged, $failed failed, mempool $pend"
    if [ "$inc" -ge "$acked" ] || [ $((inc + ${pend:-0})) -ge "$acked" ]; then
        ok "round $r: every acknowledged envelope included or pending ($inc included + ${pend:-?} pending >= $acked acked)"
    else
        bad "round $r: acknowledged envelopes lost ($inc included + ${pend:-?} pending < $acked acked)"
        tail -n 3 "$R/lg$r"
    fi
    if [ "$failed" = 0 ] && [ "$acked" = "$cnt" ]; then ok "round $r: the follower acknowledged all $cnt submissions"
    else bad "round $r: the follower refused $failed of $cnt submissions"; grep 'first failure' "$R/lg$r"; fi
    # the restarted worker catches up before the next kill
    lb=$(tc_wait_converged 3 1 60) && ok "round $r: w$L caught up (all at batch $lb)" ||
        bad "round $r: w$L catches up after its restart"
done

last=$(tc_wait_converged 3 1 90) && ok "all workers at batch $last" || bad "workers converge on one last batch"

for i in 1 2 3; do
    if tc_chain "$i" "$TC_DIR/chain$i" --quorum 2; then
        ok "w$i: aegis verify --all --quorum 2 passes ($(wc -l < "$TC_DIR/chain$i") batches)"
    else
        bad "w$i: aegis verify --all --quorum 2"; grep -v ' ok' "$TC_DIR/chain$i.out" | head -n 10
    fi
    check "w$i: batch numbers continuous" tc_continuous "$TC_DIR/chain$i"
done
check "every batch number has one content across workers" tc_one_content "$TC_DIR"/chain[123]
if [ -s "$TC_DIR/chain1" ] && cmp -s "$TC_DIR/chain1" "$TC_DIR/chain2" && cmp -s "$TC_DIR/chain1" "$TC_DIR/chain3"; then
    ok "the three workers serve the same chain"
else
    bad "the three workers serve different chains"
fi
# failovers as each worker counted them (a restarted worker may count only
# those it saw): the largest must show at least one.
fo=""
for i in 1 2 3; do fo="$fo $(ac_cluster_field "$i" failovers)"; done
max=$(tr ' ' '\n' <<<"$fo" | grep -x '[0-9][0-9]*' | sort -n | tail -n 1)
if [ -n "$max" ] && [ "$max" -ge 1 ]; then ok "status counts failovers (w1..w3:$fo)"
else bad "status counts failovers (cluster.failovers w1..w3:$fo)"; fi
tc_no_dissent 3
tc_finish
