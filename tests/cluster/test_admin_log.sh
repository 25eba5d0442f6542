#!/usr/bin/env bash
# test_admin_log.sh - admin requests go through the replicated log like
# envelopes: a registry change sent to one follower, a state change to the
# other, then a rollback to a checkpoint sent to the leader; every worker
# applies each at the same log position, so all hold the same registry, the
# same rollback events and the same chain, co-attested with no dissent.
AC_CHECKPOINT=3   # a checkpoint every 3 batches: one to roll back to soon
. "$(dirname "$0")/lib.sh"

tc_configure() {
    local i
    "$AEGIS" keygen --type ml-dsa-87 --out "$TC_DIR/admin" > /dev/null || return 1
    for i in 1 2 3; do
        printf '\n[assets]\nadmin_keys = ["%s"]\n' "$TC_DIR/admin.pub" >> "$AC_DIR/w$i/aegis.toml"
    done
}
tc_setup 3

lg() { "$AEGIS" loadgen --rpc "$(ac_url "$1")" --allow-sim --count 60 --senders 6 > "$2" 2>&1; }
registry() { "$AEGIS" assets list --json --rpc "$(ac_url "$1")" 2>/dev/null; }
rollbacks() { ac_rpc "$1" aegis_getRollbacks '[]' | sed 's/"signature":"[^"]*"//g; s/"attestation":{[^}]*}//g'; }

L=$(ac_leader_wait 30) || { bad "an agreed leader"; tc_finish; }
F=$(( L % 3 + 1 ))
G=$(( F % 3 + 1 )); [ "$G" = "$L" ] && G=$(( G % 3 + 1 ))
lg "$F" "$TC_DIR/lg0" && ok "load before: included" || bad "load before"

if "$AEGIS" assets add --rpc "$(ac_url "$F")" --admin-key "$TC_DIR/admin.key" --id vault-1 --type token \
    --chain-id 1 --contract 0x00000000000000000000000000000000000000aa --ops transfer,approve > "$TC_DIR/add" 2>&1; then
    ok "registry change (add vault-1) accepted by follower w$F"
else
    bad "follower w$F takes an admin request: $(tail -n 1 "$TC_DIR/add")"
fi
if "$AEGIS" assets state vault-1 frozen --rpc "$(ac_url "$G")" --admin-key "$TC_DIR/admin.key" > "$TC_DIR/state" 2>&1; then
    ok "state change (vault-1 frozen) accepted by follower w$G"
else
    bad "follower w$G takes an admin request: $(tail -n 1 "$TC_DIR/state")"
fi
# each worker applies the records at its own pace: the one that answered
# has; the others within moments (up to 20 s here, under ASan too)
for _ in $(seq 1 40); do
    for i in 1 2 3; do registry "$i" > "$TC_DIR/reg$i"; done
    grep -q frozen "$TC_DIR/reg1" && cmp -s "$TC_DIR/reg1" "$TC_DIR/reg2" && cmp -s "$TC_DIR/reg1" "$TC_DIR/reg3" && break
    sleep 0.5
done
if grep -q vault-1 "$TC_DIR/reg1" && grep -q frozen "$TC_DIR/reg1" && cmp -s "$TC_DIR/reg1" "$TC_DIR/reg2" &&
    cmp -s "$TC_DIR/reg1" "$TC_DIR/reg3"; then
    ok "the same registry on every worker (vault-1, frozen)"
else
    bad "registries differ or miss the change: $(md5sum "$TC_DIR"/reg[123] | cut -c1-8 | tr '\n' ' ')"
fi
lg "$G" "$TC_DIR/lg1" && ok "load after the registry changes: included" || bad "load after"

# a rollback to the latest checkpoint, sent to the leader: the same
# orphaned range on every worker, and the chain goes on from there
n=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
    n=$(ac_status "$L" | sed -n '/"checkpoint": *{/,/}/p' | ac_json_field number)
    [ -n "$n" ] && break
    sleep 0.5
done
if [ -n "$n" ]; then
    if "$AEGIS" assets request rollback "{\"checkpoint\":$n}" --rpc "$(ac_url "$L")" --admin-key "$TC_DIR/admin.key" \
        > "$TC_DIR/rb" 2>&1; then
        ok "rollback to checkpoint $n accepted by the leader w$L"
    else
        bad "rollback to checkpoint $n: $(tail -n 1 "$TC_DIR/rb")"
    fi
    for _ in $(seq 1 40); do
        for i in 1 2 3; do rollbacks "$i" > "$TC_DIR/rbs$i"; done
        grep -q orphan "$TC_DIR/rbs1" && cmp -s "$TC_DIR/rbs1" "$TC_DIR/rbs2" && cmp -s "$TC_DIR/rbs1" "$TC_DIR/rbs3" && break
        sleep 0.5
    done
    if grep -q orphan "$TC_DIR/rbs1" && cmp -s "$TC_DIR/rbs1" "$TC_DIR/rbs2" && cmp -s "$TC_DIR/rbs1" "$TC_DIR/rbs3"; then
        ok "the same rollback event on every worker"
    else
        bad "rollback events differ: $(head -c 300 "$TC_DIR/rbs1") / $(head -c 300 "$TC_DIR/rbs2")"
    fi
else
    bad "a checkpoint to roll back to (none in aegis status)"
fi
lg "$F" "$TC_DIR/lg2" && ok "load after the rollback: included" || bad "load after the rollback"

last=$(tc_wait_converged 3 1 60) && ok "all workers at batch $last" || bad "workers converge"
for i in 1 2 3; do
    tc_chain "$i" "$TC_DIR/chain$i" --quorum 2 && ok "w$i: aegis verify --all --quorum 2 passes" ||
        { bad "w$i: aegis verify --all --quorum 2"; grep -v ' ok' "$TC_DIR/chain$i.out" | head -n 5; }
done
check "the same chain on every worker" tc_one_content "$TC_DIR"/chain[123]
tc_no_dissent 3
tc_finish
