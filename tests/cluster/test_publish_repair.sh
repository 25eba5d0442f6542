#!/usr/bin/env bash
# test_publish_repair.sh - the leader's publication of its newest batch
# fails (the publications stream without a leader for longer than the
# publish retries: seen in cluster_nats_quorum after a quorum loss) and no
# batch is cut after it. The leader's repair pass must publish it again, so
# that the followers judge it, co-attest it, and it becomes final. The
# failure is made with the fault injection AEGIS_FAULT_FAIL_BATCH_PUBLISH=N
# (given to every worker: only the leader publishes batches).
. "$(dirname "$0")/lib.sh"

export AEGIS_FAULT_FAIL_BATCH_PUBLISH=2
tc_setup 3
L=$(ac_leader_wait 30) || { bad "an agreed leader"; tc_finish; }
KEY="$TC_DIR/sender.key"
tc_keyfile "$KEY"
submit() {   # nonce, out-file
    timeout 60 "$AEGIS" submit --rpc "$(ac_url "$L")" --allow-sim --key "$KEY" --to "$TC_TO" \
        --nonce "$1" --value $((1000 + $1)) --wait --timeout 30 > "$2" 2>&1
}
submit 0 "$TC_DIR/s0" && ok "nonce 0 included (batch 1)" || { bad "nonce 0 included"; cat "$TC_DIR/s0"; }
submit 1 "$TC_DIR/s1" && ok "nonce 1 included: $(grep -o 'included in batch [0-9]*' "$TC_DIR/s1")" ||
    { bad "nonce 1 included"; cat "$TC_DIR/s1"; }
grep -q 'batch not published.*number=2' "$AC_DIR/w$L/log" &&
    ok "w$L's first publication of batch 2 failed (fault injection)" ||
    bad "the fault injection made batch 2's publication fail on w$L"
t0=$(ac_now_ms)
final=1
for i in 1 2 3; do tc_wait_final "$i" 30 || final=0; done
[ "$final" = 1 ] && ok "batch 2, the newest, final on every worker $(( $(ac_now_ms) - t0 )) ms later (published by the repair pass)" ||
    bad "batch 2 final on every worker (last_final: $(for i in 1 2 3; do ac_cluster_field "$i" last_final; done | tr '\n' ' '))"
tc_quorum3 2 2 "$L" "the batch whose first publication failed"
tc_chain_checks "$L"
tc_finish
