#!/usr/bin/env bash
# test_log_frozen.sh - the nats-server a worker is connected to frozen
# (SIGSTOP) for ~6 s while the worker holds four times as many submissions
# as it has RPC threads, all waiting for the log. They wait on the worker's submitter threads
# (src/sequencer/cluster_submit.c), not on its RPC server's: the worker
# still answers other requests at once, on new connections and on
# connections its RPC threads accepted just before the submissions came
# (libmicrohttpd closed such a connection unread, with no answer, when its
# thread had been held past rpc.timeout_ms by a submission: a lost request,
# and for its sender a nonce gap). Thawed, every submission is acknowledged
# and included, none failed. aegis_status, which used to read NATS on the
# RPC thread, answers at once too.
. "$(dirname "$0")/lib.sh"

tc_configure() {   # a short idle timeout, so a held thread would show at once
    local i
    for i in 1 2 3; do
        [ -f "$AC_DIR/w$i/aegis.toml" ] || continue
        sed -i 's/^\[rpc\]$/[rpc]\ntimeout_ms = 2000\nthreads = 4/' "$AC_DIR/w$i/aegis.toml"
    done
}

tc_setup 3
W=$(ac_leader_wait 30) || W=1
grep -q '^threads = 4' "$AC_DIR/w$W/aegis.toml" && ok "w$W: rpc.threads = 4, rpc.timeout_ms = 2000" ||
    bad "w$W configured with 4 RPC threads and a 2 s idle timeout"

# connections opened just before the submissions arrive (so the RPC
# threads accept them while idle), their requests sent 1 s later, within
# the 2 s idle timeout: answered at once, however long the log takes
early_probe() {
    local v="AC_RPC_$W" body='{"jsonrpc":"2.0","id":7,"method":"eth_chainId","params":[]}'
    timeout 20 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        sleep 1
        s=${EPOCHREALTIME/./}
        printf "POST / HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" \
            "${#2}" "$2" >&3
        cat <&3
        echo
        echo "ELAPSED_MS $(( (${EPOCHREALTIME/./} - s) / 1000 ))"' _ "${!v}" "$body" > "$1" 2>/dev/null
}

# /healthz "cluster_workers" comes from cl-status's read of the members
hp="AC_RPC_$W"; hw=""
for n in $(seq 30); do
    hw=$(ac_http_get "${!hp}" /healthz | tr -d ' \n')
    grep -q '"cluster_workers":{[^}]*"state":"ok"' <<<"$hw" && break
    sleep 0.2
done
check "w$W /healthz: cluster_workers ok with 3 live workers" \
    grep -q '"cluster_workers":{[^}]*"state":"ok"' <<<"$hw"

# the nats-server of W's connection (its client name is the worker id)
N=""
for i in 1 2 3; do
    hp="AC_HTTP_PORT_$i"
    ac_http_get "${!hp}" /connz | tr -d ' \n' | grep -q "\"name\":\"w$W\"" && { N=$i; break; }
done
if [ -n "$N" ]; then ok "w$W is connected to nats-server n$N"; else bad "w$W's nats-server found (/connz)"; tc_finish; fi
kill -STOP "$(ac_nats_pid "$N")"
t0=$(ac_now_ms)
tc_log "nats-server n$N frozen"
EPS=""
for n in 1 2 3 4 5 6 7 8; do early_probe "$TC_DIR/early$n" & EPS="$EPS $!"; done
sleep 0.1
tc_loadgen "$W" "$TC_DIR/lg" --count 16 --senders 16 --concurrency 16 --timeout 90
sleep 2
slow=0
for n in 1 2 3 4 5 6; do
    s=$(ac_now_ms)
    port="AC_RPC_$W"
    body=$(ac_http_get "${!port}" /healthz)
    d=$(( $(ac_now_ms) - s ))
    if [ -z "$body" ] || [ "$d" -gt 1500 ]; then
        slow=$((slow + 1)); tc_log "healthz probe $n: ${d} ms, '${body:0:60}'"
    fi
done
check "with the log frozen and 16 submissions waiting, 6 /healthz probes each answered within 1.5 s" [ "$slow" = 0 ]
s=$(ac_now_ms)
st=$(ac_rpc "$W" aegis_status '[]' 3)
d=$(( $(ac_now_ms) - s ))
if grep -q '"last_batch"' <<<"$st" && [ "$d" -le 1500 ]; then ok "aegis_status answered in $d ms while the submissions wait (NATS read by cl-status)"
else bad "aegis_status answered within 1.5 s while the submissions wait ($d ms: '${st:0:80}')"; fi
# shellcheck disable=SC2086
wait $EPS
late=0
for n in 1 2 3 4 5 6 7 8; do
    e=$(sed -n 's/^ELAPSED_MS //p' "$TC_DIR/early$n")
    if ! grep -q '"result"' "$TC_DIR/early$n" || [ "${e:-99999}" -gt 1500 ]; then
        late=$((late + 1)); tc_log "early connection $n: '$(head -c 80 "$TC_DIR/early$n" | tr '\n' ' ')' after ${e:-?} ms"
    fi
done
check "8 connections accepted before the submissions arrived, their requests sent 1 s later: each answered within 1.5 s" [ "$late" = 0 ]
# hold the log frozen past the 2 s idle timeout and the append's 3 s wait
while [ $(( $(ac_now_ms) - t0 )) -lt 6000 ]; do sleep 0.2; done
kill -CONT "$(ac_nats_pid "$N")"
tc_log "n$N thawed after $(( $(ac_now_ms) - t0 )) ms"

wait "$TC_LG_PID"
read -r inc cnt acked failed <<<"$(tc_loadgen_counts "$TC_DIR/lg")"
tc_log "loadgen: ${inc:-?}/${cnt:-?} included, ${acked:-?} acknowledged, ${failed:-?} failed"
if [ "${inc:-0}" = "${cnt:-x}" ] && [ "${acked:-0}" = "$cnt" ] && [ "$failed" = 0 ]; then
    ok "after the thaw: all $cnt submissions acknowledged and included, none failed"
else
    bad "after the thaw: ${inc:-?}/${cnt:-?} included, ${acked:-?} acknowledged, ${failed:-?} failed"
    grep 'first failure' "$TC_DIR/lg"
fi
tc_chain "$W" "$TC_DIR/chain" --quorum 2 && ok "w$W: aegis verify --all --quorum 2 passes" ||
    { bad "w$W: aegis verify --all --quorum 2"; grep -v ' ok' "$TC_DIR/chain.out" | head -n 10; }
tc_no_dissent 3
tc_finish
