#!/usr/bin/env bash
# test_log_divergence.sh - a worker whose copy of the log is not the stream
# leader's. nats-server 2.9 was seen, after a JetStream quorum loss, to keep
# a replica that lacked one message and numbered every later one a sequence
# lower; a worker whose ordered consumer sat on it applied cut records at
# other sequences than the stream's, and as leader was fenced forever. Here
# the same copy is made with the worker's fault injection
# (AEGIS_FAULT_DROP_LOG_SEQ: its consumer drops one message and renumbers
# the rest). The worker must find out at the next cut record (its
# predecessor's sequence, named in the record, is not the one it read),
# confirm it against the stream leader, rebuild in place from the leader's
# copy (same pid, restarted by exec), and then serve and co-attest the one
# chain. Also: a cut record that did not come through the fence (published
# straight to the subject) is skipped by every worker, none rebuilds.
. "$(dirname "$0")/lib.sh"

tc_setup 3
L=$(ac_leader_wait 30) || { bad "an agreed leader"; tc_finish; }
F=$(( L % 3 + 1 ))      # the follower whose copy diverges
G=$(( F % 3 + 1 ))      # load goes here
[ "$G" = "$F" ] && G=$L
tc_log "leader w$L, w$F's copy diverges, load on w$G"
"$AEGIS" loadgen --rpc "$(ac_url "$G")" --allow-sim --count 60 --senders 6 > "$TC_DIR/lg0" 2>&1 &&
    ok "load before: 60 included" || { bad "load before"; tail -n 2 "$TC_DIR/lg0"; }

ac_worker_stop "$F"
# a message every worker rejects (so the copy without it makes the same
# batches): the one w$F's consumer will drop
r=$(ac_nats_req 1 aegis.env 'not an envelope') || r=""
E=$(sed -n 's/.*"seq":\([0-9]*\).*/\1/p' <<<"$r")
[ -n "$E" ] && ok "a message stored at log sequence $E while w$F is down" || { bad "publish to aegis.env ($r)"; tc_finish; }
"$AEGIS" loadgen --rpc "$(ac_url "$G")" --allow-sim --count 80 --senders 8 > "$TC_DIR/lg1" 2>&1 &&
    ok "load while w$F is down: 80 included" || { bad "load while w$F is down"; tail -n 2 "$TC_DIR/lg1"; }

( export AEGIS_FAULT_DROP_LOG_SEQ=$E; tc_start_worker "$F" ) || tc_finish
pid0=$(ac_worker_pid "$F")
tc_log "w$F started (pid $pid0), its consumer drops log sequence $E"
t0=$(ac_now_ms)
until grep -q 'reading the log from the stream leader' "$AC_DIR/w$F/log" || [ $(( $(ac_now_ms) - t0 )) -gt 60000 ]; do
    sleep 0.5
done
grep -q 'copy of the log diverged from the stream leader' "$AC_DIR/w$F/log" &&
    ok "w$F found its copy of the log diverged" || bad "w$F finds its copy diverged"
grep -q 'reading the log from the stream leader' "$AC_DIR/w$F/log" &&
    ok "w$F rebuilt in place, reading the stream leader's copy ($(( $(ac_now_ms) - t0 )) ms)" ||
    { bad "w$F rebuilds reading the stream leader's copy"; tail -n 5 "$AC_DIR/w$F/log"; }
ac_worker_wait "$F" 60 || bad "w$F answers after its rebuild"
pid1=$(ac_worker_pid "$F")
[ -n "$pid1" ] && [ "$pid1" = "$pid0" ] && ok "same process (pid $pid1): it executed itself again" ||
    bad "w$F's pid $pid0 -> ${pid1:-none}"
reader=$(ac_cluster_field "$F" log_reader)
[ "$reader" = "stream leader" ] && ok "w$F's status: log_reader \"$reader\"" || bad "w$F's log_reader: ${reader:-?}"
m=$(ac_http_get "$(v=AC_RPC_$F; echo "${!v}")" /metrics | grep '^aegis_cluster_log_read_from_leader ')
[ "$m" = "aegis_cluster_log_read_from_leader 1" ] && ok "/metrics: $m" || bad "/metrics on w$F: ${m:-none}"

last=$(tc_wait_converged 3 1 60) && ok "w$F at the others' batch after its rebuild ($last)" || bad "w$F converges"
from=$(( ${last:-0} + 1 ))
"$AEGIS" loadgen --rpc "$(ac_url "$F")" --allow-sim --count 60 --senders 6 > "$TC_DIR/lg2" 2>&1 &&
    ok "load through the rebuilt w$F: 60 included" || { bad "load through w$F"; tail -n 2 "$TC_DIR/lg2"; }

# a cut record straight on the subject, naming a predecessor that is not
# the last cut record: it did not pass the fence; every worker skips it
lb=$(tc_last_batch "$L")
before=$(for i in 1 2 3; do ac_cluster_field "$i" skipped_messages; done | tr '\n' ' ')
r=$(ac_nats_req 2 aegis.cut "{\"type\":\"cut\",\"number\":$(( ${lb:-0} + 1 )),\"ts\":$(ac_now_ms),\"leader\":\"w$L\",\"after\":1}") || r=""
grep -q '"seq"' <<<"$r" && ok "an unfenced cut record for batch $(( ${lb:-0} + 1 )) stored ($r)" || bad "publish to aegis.cut ($r)"
sleep 2
after=$(for i in 1 2 3; do ac_cluster_field "$i" skipped_messages; done | tr '\n' ' ')
read -r -a b <<<"$before"
read -r -a a <<<"$after"
skipped=1
for i in 0 1 2; do [ "${a[$i]:-0}" -gt "${b[$i]:-0}" ] || skipped=0; done
[ "$skipped" = 1 ] && ok "every worker skipped it (skipped_messages $before-> $after)" ||
    bad "every worker skips the unfenced cut (skipped_messages $before-> $after)"
n=$(grep -c 'copy of the log diverged' "$AC_DIR"/w[123]/log | awk -F: '{s += $2} END {print s}')
[ "$n" = 1 ] && ok "no worker took it for a divergence (one divergence in all logs: w$F's)" ||
    bad "divergences logged: $n (expected w$F's one)"
"$AEGIS" loadgen --rpc "$(ac_url "$L")" --allow-sim --count 60 --senders 6 > "$TC_DIR/lg3" 2>&1 &&
    ok "load after the unfenced cut: 60 included" || { bad "load after the unfenced cut"; tail -n 2 "$TC_DIR/lg3"; }

to=$(tc_wait_converged 3 "$from" 60) || to=""
[ -n "$to" ] && tc_wait_final "$F" 30
tc_quorum3 "$from" "$to" "$L" "w$F too, after its rebuild"
tc_chain_checks "$F"
tc_finish
