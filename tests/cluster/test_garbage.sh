#!/usr/bin/env bash
# test_garbage.sh - bad input on the cluster's subjects (anyone who can reach
# the nats-servers can publish): garbage on the log (envelopes, cut records,
# control records) and on the publications stream (batches,
# co-attestations, dissents) never crashes a worker and never enters a batch;
# it is skipped or rejected and counted; service goes on and the chain verifies.
. "$(dirname "$0")/lib.sh"

tc_setup 3

"$AEGIS" loadgen --rpc "$(ac_url 2)" --allow-sim --count 100 --senders 10 > "$TC_DIR/lg0" 2>&1 &&
    ok "load before: 100 included" || { bad "load before"; tail -n 2 "$TC_DIR/lg0"; }
counts() {   # "skipped rejected" of worker I
    local js
    js=$(ac_status "$1")
    echo "$(sed -n '/"cluster": *{/,$p' <<<"$js" | ac_json_field skipped_messages)" \
         "$(sed -n '/"core": *{/,$p' <<<"$js" | ac_json_field rejected_total)"
}
declare -A before
for i in 1 2 3; do before[$i]=$(counts "$i"); done

n=0 acked=0
for subj in aegis.env aegis.cut aegis.ctl.risk aegis.ctl.admin aegis.nonsense \
            aegis_batches.batch.w1 aegis_batches.coattest.w2 aegis_batches.dissent.w3 aegis_batches.batch.evil; do
    for payload in 'garbage' '{"number":' '{"number":1,"ts":0,"leader":"w1","parent":"0x00"}' \
                   '0x00ff00ff00ff' '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[' '{"hash":"0x01","header":{}}'; do
        n=$((n + 1))
        r=$(ac_nats_req "$(( n % 3 + 1 ))" "$subj" "$payload" 2>/dev/null) && grep -q '"seq"' <<<"$r" && acked=$((acked + 1))
    done
done
tc_log "published $n garbage messages on the log and publication subjects ($acked stored by JetStream)"
[ "$acked" -gt 0 ] && ok "JetStream stored $acked of them (the test reached the streams)" || bad "no garbage reached the streams"
sleep 3
for i in 1 2 3; do
    if ac_worker_running "$i" && ac_status "$i" > /dev/null; then ok "w$i survived the garbage"; else bad "w$i died on garbage"; fi
done
for i in 1 2 3; do
    read -r s0 r0 <<<"${before[$i]}"
    read -r s1 r1 <<<"$(counts "$i")"
    if [ $(( ${s1:-0} + ${r1:-0} )) -gt $(( ${s0:-0} + ${r0:-0} )) ]; then
        ok "w$i counted the garbage (skipped ${s0:-?} -> ${s1:-?}, rejected ${r0:-?} -> ${r1:-?})"
    else
        bad "w$i counts the garbage (skipped ${s0:-?} -> ${s1:-?}, rejected ${r0:-?} -> ${r1:-?})"
    fi
done
m=$(ac_http_get "$(v=AC_RPC_1; echo "${!v}")" /metrics | grep -i 'skipped\|garbage' | grep -v '^#' | head -n 3 | tr '\n' ' ')
[ -n "$m" ] && ok "/metrics on w1: $m" || bad "/metrics names skipped cluster messages"

"$AEGIS" loadgen --rpc "$(ac_url 3)" --allow-sim --count 100 --senders 10 > "$TC_DIR/lg1" 2>&1 &&
    ok "load after: 100 included" || { bad "load after the garbage"; tail -n 2 "$TC_DIR/lg1"; }
last=$(tc_wait_converged 3 1 60) && ok "all workers at batch $last" || bad "workers converge"
for i in 1 2 3; do
    tc_chain "$i" "$TC_DIR/chain$i" --quorum 2 && ok "w$i: aegis verify --all --quorum 2 passes" ||
        { bad "w$i: aegis verify --all --quorum 2"; grep -v ' ok' "$TC_DIR/chain$i.out" | head -n 5; }
done
check "one chain on every worker" tc_one_content "$TC_DIR"/chain[123]
txs=0
for b in $(cut -d' ' -f1 "$TC_DIR/chain1"); do
    txs=$(( txs + $("$AEGIS" batch get "$b" --rpc "$(ac_url 1)" 2>/dev/null | grep -c '"sender"') ))
done
[ "$txs" = 200 ] && ok "exactly the 200 loadgen transactions in the chain" || bad "$txs transactions in the chain (expected 200)"
tc_no_dissent 3
tc_finish
