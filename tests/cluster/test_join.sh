#!/usr/bin/env bash
# test_join.sh - membership under a measurement policy: three members whose
# (sim) measurement is GOOD and who allow only GOOD; a fourth worker with
# GOOD joins, receives the cluster's key set (the same public keys, its
# submissions decrypt on the leader), catches up and co-attests; a fifth
# with a wrong measurement is refused: a clear log line on both sides, a
# metric, no key set, not a member, nothing it submits is acknowledged. With
# worker.max_workers = 4, a sixth worker with GOOD is refused too: four
# members (the founder and three joins, counted from the log) is the cap.
. "$(dirname "$0")/lib.sh"

GOOD=$(printf 'a5%.0s' $(seq 48))
BAD=$(printf '5a%.0s' $(seq 48))
tc_configure() {
    local i
    for i in 1 2 3 4 6; do ac_worker_config "$i" "$GOOD" "$GOOD"; done
    ac_worker_config 5 "$BAD" "$GOOD"
    for i in 1 2 3 4 5 6; do sed -i 's/^max_workers = .*/max_workers = 4/' "$AC_DIR/w$i/aegis.toml"; done
}
tc_setup 3
AC_MAX_WORKER=6

"$AEGIS" loadgen --rpc "$(ac_url 2)" --allow-sim --count 100 --senders 10 > "$TC_DIR/lg0" 2>&1 &&
    ok "three members: load included" || { bad "three members: load included"; tail -n 2 "$TC_DIR/lg0"; }

# the hash of the epoch-1 key set worker I serves ("" when it has none)
pubkeys() { ac_rpc "$1" aegis_getKeySet '[1]' | tr -d ' \n' | sed -n 's/.*"keyset_hash":"\(0x[0-9a-f]*\)".*/\1/p'; }

tc_start_worker 4 || tc_finish
deadline=$(( $(date +%s) + 60 ))
until [ -n "$(pubkeys 4)" ] && [ "$(pubkeys 4)" = "$(pubkeys 1)" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 0.5
done
k1=$(pubkeys 1); k4=$(pubkeys 4)
if [ -n "$k1" ] && [ "$k1" = "$k4" ]; then ok "w4 holds the cluster's key set (hash $k1, as w1)"
else bad "w4 holds the cluster's key set (w1 ${k1:-none}, w4 ${k4:-none})"; fi
members=$(ac_status 1 | sed -n '/"cluster": *{/,$p' | tr -d ' \n' | sed -n 's/.*"members":\(\[[^]]*\]\).*/\1/p')
grep -q '"w4"\|"id":"w4"' <<<"$members" && ok "w1 lists w4 as a member" || bad "w1 lists w4 as a member: $members"

"$AEGIS" loadgen --rpc "$(ac_url 4)" --allow-sim --count 100 --senders 10 > "$TC_DIR/lg4" 2>&1 &&
    ok "load on w4: acknowledged and included (the leader decrypts what w4 took)" ||
    { bad "load on w4 included"; tail -n 2 "$TC_DIR/lg4"; }
last=$(tc_wait_converged 4 1 60) && ok "w4 caught up (all four at batch $last)" || bad "w4 catches up"
first4=$(( ${last:-1} ))
"$AEGIS" loadgen --rpc "$(ac_url 3)" --allow-sim --count 50 --senders 5 > "$TC_DIR/lg5" 2>&1
sleep 2
tc_chain 4 "$TC_DIR/chain4" --quorum 2 && ok "w4: aegis verify --all --quorum 2 passes" ||
    { bad "w4: aegis verify --all --quorum 2"; grep -v ' ok' "$TC_DIR/chain4.out" | head; }
# the batches cut after w4 joined carry co-attestations of all four workers
lb=$(tc_last_batch 1)
if [ -n "$lb" ] && [ "$lb" -gt "$first4" ]; then
    "$AEGIS" verify --from $(( first4 + 1 )) --to "$lb" --quorum 4 --allow-sim --rpc "$(ac_url 1)" > "$TC_DIR/q4" 2>&1 &&
        ok "batches $(( first4 + 1 ))..$lb co-attested by all four workers (verify --quorum 4)" ||
        { bad "batches after the join co-attested by four (verify --quorum 4)"; grep -v ' ok' "$TC_DIR/q4" | head -n 5; }
else
    bad "batches cut after w4 joined (last ${lb:-?}, joined at $first4)"
fi

# the fifth: a wrong measurement
ac_worker_start 5
sleep 8
refused_log=$(grep -v 'mod=tee\|mod=config' "$AC_DIR/w5/log" | grep -i 'refus\|measurement' | tail -n 1)
[ -n "$refused_log" ] && ok "w5 logs its refusal: $(cut -c1-240 <<<"$refused_log")" || bad "w5 logs why it has no key set"
member_log=$(grep -hi 'refus' "$AC_DIR"/w[1234]/log | grep -i 'w5\|measurement' | head -n 1)
[ -n "$member_log" ] && ok "a member logs the refused join: $(cut -c1-200 <<<"$member_log")" || bad "a member logs the refused join of w5"
metric=""
for i in 1 2 3 4; do
    v="AC_RPC_$i"
    m=$(ac_http_get "${!v}" /metrics | grep -i 'refus\|join' | grep -v '^#' | grep -v ' 0$' | head -n 1)
    [ -n "$m" ] && { metric="w$i: $m"; break; }
done
[ -n "$metric" ] && ok "refusal counted in /metrics ($metric)" || bad "a join refusal metric > 0 on a member"
k5=$(pubkeys 5)
[ -z "$k5" ] || [ "$k5" != "$k1" ] && ok "w5 does not hold the cluster's key set" || bad "w5 received the key set"
members=$(ac_status 1 | sed -n '/"cluster": *{/,$p' | tr -d ' \n' | sed -n 's/.*"members":\(\[[^]]*\]\).*/\1/p')
grep -q '"w5"\|"id":"w5"' <<<"$members" && bad "w5 is listed as a member: $members" || ok "w5 is not a member"
if ac_worker_running 5; then
    KEY="$TC_DIR/k5"; tc_keyfile "$KEY"
    if timeout 30 "$AEGIS" submit --rpc "$(ac_url 5)" --allow-sim --key "$KEY" --to "$TC_TO" > "$TC_DIR/s5" 2>&1; then
        bad "w5 (refused) acknowledged a submission"
    else
        ok "w5 (refused) acknowledges nothing: $(tail -n 1 "$TC_DIR/s5" | cut -c1-160)"
    fi
else
    ok "w5 (refused) exited: $(tail -n 1 "$AC_DIR/w5/log" | cut -c1-160)"
fi
# the sixth: a good measurement, but the cluster is at worker.max_workers
ac_worker_start 6
sleep 8
full_log=$(grep -hi 'max_workers' "$AC_DIR"/w[1234]/log | grep -i 'w6' | head -n 1)
[ -n "$full_log" ] && ok "a member logs w6 not admitted: $(cut -c1-200 <<<"$full_log")" ||
    bad "a member logs that w6 is over worker.max_workers"
adm=$(ac_cluster_field 1 members_admitted)
[ "$adm" = 4 ] && ok "w1 counts 4 admitted members (aegis status members_admitted)" || bad "members_admitted on w1: ${adm:-none} (expected 4)"
k6=$(pubkeys 6)
[ -z "$k6" ] || [ "$k6" != "$k1" ] && ok "w6 (over the cap) does not hold the cluster's key set" ||
    bad "w6 received the key set beyond worker.max_workers"
tc_no_dissent 4
tc_finish
