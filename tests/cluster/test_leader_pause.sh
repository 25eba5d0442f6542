#!/usr/bin/env bash
# test_leader_pause.sh - the leader SIGSTOPped past its lease, then SIGCONTed:
# another worker takes over and batches go on while it sleeps; once resumed
# the old leader is fenced (it signs nothing stale), names the new leader,
# catches up as a follower; no batch number ever has two contents, across
# what every worker served before, during and after.
. "$(dirname "$0")/lib.sh"

tc_setup 3
LEASE_MS=600

# "N HASH" of batch N as worker I serves it now (for the samples)
sample() {
    local i=$1 out=$2 lb n
    lb=$(tc_last_batch "$i") || return 0
    [ -n "$lb" ] || return 0
    for n in $(seq $(( lb > 3 ? lb - 3 : 1 )) "$lb"); do
        "$AEGIS" batch get "$n" --rpc "$(ac_url "$i")" 2>/dev/null |
            sed -n 's/^  "hash": "\(0x[0-9a-f]*\)".*/'"$n"' \1/p' >> "$out"
    done
}

L=$(ac_leader_wait 30) || { bad "an agreed leader"; tc_finish; }
F=$(( L % 3 + 1 ))
O=$(( F % 3 + 1 ))
[ "$O" = "$L" ] && O=$(( O % 3 + 1 ))
tc_log "leader w$L; load on w$F"
tc_loadgen "$F" "$TC_DIR/lg" --count 600 --rate 100 --senders 30 --timeout 60
sleep 1.5
b0=$(tc_last_batch "$F")
sample "$L" "$TC_DIR/samples"

ac_worker_signal "$L" STOP
t0=$(ac_now_ms)
tc_log "w$L paused at batch ${b0:-?}"
nl=""
while [ $(( $(ac_now_ms) - t0 )) -lt 15000 ]; do
    nl=$(ac_leader) && [ -n "$nl" ] && [ "$nl" != "$L" ] && break
    nl=""; sleep 0.1
done
if [ -n "$nl" ]; then ok "w$nl took over $(( $(ac_now_ms) - t0 )) ms after w$L paused"
else bad "no new leader within 15 s while w$L is paused"; fi
# stay paused well past the lease, with batches flowing under the new leader
sleep $(( LEASE_MS * 4 / 1000 + 1 ))
b1=$(tc_last_batch "$F")
if [ -n "$b0" ] && [ -n "$b1" ] && [ "$b1" -gt "$b0" ]; then ok "batches go on while w$L is paused ($b0 -> $b1)"
else bad "batches go on while w$L is paused (${b0:-?} -> ${b1:-?})"; fi
sample "$F" "$TC_DIR/samples"
sample "$O" "$TC_DIR/samples"

ac_worker_signal "$L" CONT
tc_log "w$L resumed"
sleep 2
sample "$L" "$TC_DIR/samples"
l2=$(ac_leader_wait 20) || l2=""
if [ -n "$l2" ] && [ "$l2" != "$L" ]; then ok "after resuming, every worker (w$L too) names w$l2 as leader"
else bad "after resuming, the workers agree on a leader other than w$L (got '${l2}')"; fi
check "w$L still runs after being fenced" ac_worker_running "$L"

wait "$TC_LG_PID"
read -r inc cnt acked failed <<<"$(tc_loadgen_counts "$TC_DIR/lg")"
tc_log "loadgen: ${inc:-?}/${cnt:-?} included, ${acked:-?} acknowledged, ${failed:-?} failed"
if [ -n "${inc:-}" ] && [ "$inc" -ge "$acked" ] && [ "$acked" -gt 0 ]; then ok "every acknowledged envelope included ($inc/$acked)"
else bad "acknowledged envelopes included (${inc:-?}/${acked:-?})"; tail -n 3 "$TC_DIR/lg"; fi

last=$(tc_wait_converged 3 1 60) && ok "w$L caught up as a follower (all at batch $last)" || bad "w$L catches up"
for i in 1 2 3; do
    tc_chain "$i" "$TC_DIR/chain$i" --quorum 2 && ok "w$i: aegis verify --all --quorum 2 passes" ||
        { bad "w$i: aegis verify --all --quorum 2"; grep -v ' ok' "$TC_DIR/chain$i.out" | head -n 10; }
    check "w$i: batch numbers continuous" tc_continuous "$TC_DIR/chain$i"
done
check "no batch number with two hashes (samples before, during, after + final chains)" \
    tc_one_content "$TC_DIR/samples" "$TC_DIR"/chain[123]
# the paused leader's appends after it resumed were refused, not signed
# (whether it tried an append at all depends on where SIGSTOP caught it)
fenced=$(ac_cluster_field "$L" fenced_appends)
tc_log "w$L: fenced_appends ${fenced:-?}; its log after SIGCONT: $(grep -i 'lease\|fenc\|leader' "$AC_DIR/w$L/log" | tail -n 3 | cut -c25-200 | tr '\n' '|')"
tc_no_dissent 3
tc_finish
