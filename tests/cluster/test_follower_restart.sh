#!/usr/bin/env bash
# test_follower_restart.sh - a follower SIGKILLed under load and restarted
# from its own store: it catches up from the stream (same chain as the
# others) and co-attests again (the batches cut after its return carry the
# co-attestations of all three workers).
. "$(dirname "$0")/lib.sh"

tc_setup 3
L=$(ac_leader_wait 30) || { bad "an agreed leader"; tc_finish; }
F=$(( L % 3 + 1 ))      # the follower we kill
G=$(( F % 3 + 1 ))      # load goes here
[ "$G" = "$L" ] && G=$(( G % 3 + 1 ))
[ "$G" = "$F" ] && G=$L
tc_log "leader w$L, follower w$F killed, load on w$G"
tc_loadgen "$G" "$TC_DIR/lg1" --count 500 --rate 100 --senders 20 --timeout 60
sleep 1.5
ac_worker_signal "$F" KILL
b0=$(tc_last_batch "$G")
sleep 3
tc_start_worker "$F" || tc_finish
wait "$TC_LG_PID"
read -r inc cnt acked failed <<<"$(tc_loadgen_counts "$TC_DIR/lg1")"
[ "${inc:-0}" = "${cnt:-x}" ] && [ "$failed" = 0 ] && ok "load on w$G while w$F was down: $inc/$cnt included" ||
    { bad "load on w$G while w$F was down: ${inc:-?}/${cnt:-?} included, ${failed:-?} failed"; tail -n 2 "$TC_DIR/lg1"; }
last=$(tc_wait_converged 3 1 60) && ok "w$F caught up from the stream (all at batch $last, it was killed near ${b0:-?})" ||
    bad "w$F catches up"
lag=$(ac_cluster_field "$F" lag)
[ "${lag:-x}" = 0 ] && ok "w$F reports lag 0" || bad "w$F reports lag ${lag:-?}"

# new batches after its return: co-attested by all three
from=$(( ${last:-0} + 1 ))
"$AEGIS" loadgen --rpc "$(ac_url "$F")" --allow-sim --count 150 --senders 15 > "$TC_DIR/lg2" 2>&1 &&
    ok "load on the restarted w$F included" || { bad "load on the restarted w$F"; tail -n 2 "$TC_DIR/lg2"; }
to=$(tc_wait_converged 3 "$from" 60) || to=""
sleep 2
tc_quorum3 "$from" "$to" "$L" "w$F again, after its return"
tc_chain_checks "$F"
tc_finish
