#!/usr/bin/env bash
# test_risk_emergency.sh - a scheduled-level assessment written to the risk
# file every worker watches, then an emergency assessment sent to a
# follower: both go through the log (the file's, appended by every worker,
# is one record), every worker moves to scheduled, then to emergency and
# rotates its keys at the same batch (the same chain everywhere, epoch 2 on
# all), and envelopes to the new epoch are taken by any worker and included.
. "$(dirname "$0")/lib.sh"

tc_configure() {
    local i
    "$AEGIS" keygen --type ml-dsa-87 --out "$TC_DIR/oracle" > /dev/null || return 1
    for i in 1 2 3; do
        printf '\n[quantum]\noracle_keys = ["%s"]\nrisk_file = "%s"\n' "$TC_DIR/oracle.pub" "$TC_DIR/risk.json" \
            >> "$AC_DIR/w$i/aegis.toml"
    done
}
tc_setup 3

level() { ac_status "$1" | sed -n '/"risk": *{/,/}/p' | ac_json_field level; }
epoch() { ac_status "$1" | sed -n '/"core": *{/,$p' | ac_json_field key_epoch; }

L=$(ac_leader_wait 30) || { bad "an agreed leader"; tc_finish; }
F=$(( L % 3 + 1 ))
G=$(( F % 3 + 1 )); [ "$G" = "$L" ] && G=$(( G % 3 + 1 ))
"$AEGIS" loadgen --rpc "$(ac_url "$F")" --allow-sim --count 100 --senders 10 > "$TC_DIR/lg0" 2>&1 &&
    ok "load before: included" || { bad "load before"; tail -n 2 "$TC_DIR/lg0"; }
e0=$(epoch 1)
[ -n "$e0" ] || { bad "key epoch in aegis status"; e0=1; }
# the watched risk file: a scheduled-level assessment
"$AEGIS" risk sign --key "$TC_DIR/oracle.key" --score 6500 --source file > "$TC_DIR/risk.tmp" 2>/dev/null &&
    mv "$TC_DIR/risk.tmp" "$TC_DIR/risk.json" || bad "aegis risk sign"
deadline=$(( $(date +%s) + 30 ))
while :; do
    st=""
    for i in 1 2 3; do st="$st w$i:$(level "$i")"; done
    [ "$st" = " w1:scheduled w2:scheduled w3:scheduled" ] && break
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 0.5
done
[ "$st" = " w1:scheduled w2:scheduled w3:scheduled" ] && ok "the risk file's assessment (6500) reached every worker through the log" ||
    bad "every worker at scheduled from the risk file (level:$st)"
if "$AEGIS" risk submit --rpc "$(ac_url "$F")" --key "$TC_DIR/oracle.key" --score 9500 --source test > "$TC_DIR/risk" 2>&1; then
    ok "emergency assessment (9500) accepted by follower w$F"
else
    bad "follower w$F accepts the assessment: $(tail -n 1 "$TC_DIR/risk")"
fi
# some load so batches are cut at the new level
"$AEGIS" loadgen --rpc "$(ac_url "$G")" --allow-sim --count 100 --senders 10 > "$TC_DIR/lg1" 2>&1 &&
    ok "load after the assessment (to the new key epoch, via w$G): included" || { bad "load after the assessment"; tail -n 2 "$TC_DIR/lg1"; }
deadline=$(( $(date +%s) + 30 ))
while :; do
    st=""
    for i in 1 2 3; do st="$st w$i:$(level "$i")/$(epoch "$i")"; done
    [ "$st" = " w1:emergency/$((e0 + 1)) w2:emergency/$((e0 + 1)) w3:emergency/$((e0 + 1))" ] && break
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 0.5
done
[ "$st" = " w1:emergency/$((e0 + 1)) w2:emergency/$((e0 + 1)) w3:emergency/$((e0 + 1))" ] &&
    ok "every worker at emergency, key epoch $e0 -> $((e0 + 1)) ($st)" || bad "every worker at emergency and rotated (level/epoch:$st)"

last=$(tc_wait_converged 3 1 60) && ok "all workers at batch $last" || bad "workers converge"
for i in 1 2 3; do
    tc_chain "$i" "$TC_DIR/chain$i" --quorum 2 && ok "w$i: aegis verify --all --quorum 2 passes (both epochs)" ||
        { bad "w$i: aegis verify --all --quorum 2"; grep -v ' ok' "$TC_DIR/chain$i.out" | head -n 5; }
done
check "the same chain on every worker (so the level change and the rotation fall in the same batch)" \
    tc_one_content "$TC_DIR"/chain[123]
# where the epoch changes, as each worker serves it
for i in 1 2 3; do
    first=""
    for n in $(cut -d' ' -f1 "$TC_DIR/chain$i"); do
        e=$("$AEGIS" batch get "$n" --rpc "$(ac_url "$i")" 2>/dev/null | sed -n '/"header"/,/}/p' | ac_json_field key_epoch)
        if [ "$e" = $((e0 + 1)) ]; then first=$n; break; fi
    done
    echo "w$i ${first:-none}"
done > "$TC_DIR/rot"
if [ "$(cut -d' ' -f2 "$TC_DIR/rot" | sort -u | wc -l)" = 1 ] && ! grep -q none "$TC_DIR/rot"; then
    ok "first batch of epoch $((e0 + 1)): $(cut -d' ' -f2 "$TC_DIR/rot" | head -n 1) on every worker"
else
    bad "first batch of the new epoch differs: $(tr '\n' ' ' < "$TC_DIR/rot")"
fi
tc_no_dissent 3
tc_finish
