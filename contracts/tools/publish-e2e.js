#!/usr/bin/env node
// aegisd (sim) under load, the contracts on anvil, and `aegis chain publish` between them:
//   node tools/publish-e2e.js AEGIS_BIN_DIR ANVIL_BIN        (uses out/ from forge build)
// 1. aegisd on a free loopback port with a fresh data dir (sim TEE), trusting a fresh
//    oracle key; `aegis loadgen` makes batches.
// 2. anvil (Osaka, EIP-7825 cap) with the contracts; aegisd's key set (aegis_getKeySet):
//    its ML-DSA-87 key registered (9 tx) and the sim genesis.
// 3. `aegis chain publish --max 2` posts batches 1-2; a second run resumes from the
//    contract's head and posts the rest (ECDSA: the level is normal).
// 4. the QRM Monitor (`aegis risk watch --once`) pushes a signals file's score to aegisd and
//    QRMSOracle; unchanged, it pushes nothing; a published algorithm break in the file makes
//    it push an emergency assessment to both (strictly increasing seq).
// 5. aegisd rotates its key set (emergency); more load; `aegis chain publish` registers key
//    epoch 2 (ML-DSA key session, hand-over signed by epoch 1) and posts its batches by
//    ML-DSA-87 (ECDSA refused on chain).
// 6. more batches, sealed by aegisd (SLH-DSA epoch seal); `aegis chain publish --proof seal`
//    verifies the seal on chain (2-tx SLH-DSA session, registerSeal) and posts each batch by
//    its Merkle path.
// 7. the contract's head equals aegisd's last batch and the last batch `aegis verify --all` checks.
// 8. a lost state file: the monitor continues above QRMSOracle's lastSeq(source); then
//    `aegis risk watch` as a service (no --once): a file change reaches QRMSOracle, SIGTERM
//    stops it cleanly, the state file's sequence numbers kept increasing.
// 9. `aegis chain publish --follow`: batches made while it runs reach the contract; SIGTERM.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const http = require('http');
const { spawn, execFileSync } = require('child_process');
const L = require('./l1');

const [binDir, anvilBin] = process.argv.slice(2);
const aegisBin = path.join(binDir, 'aegis');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'aegis-publish-'));
const children = [];

function aegis(args, opts = {}) {
    return execFileSync(aegisBin, args, Object.assign({ encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }, opts));
}
function jsonRpc(url, method, params) {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
    return new Promise((resolve, reject) => {
        const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
            let d = '';
            res.on('data', (c) => (d += c));
            res.on('end', () => { try { const j = JSON.parse(d); j.error ? reject(new Error(method + ': ' + j.error.message)) : resolve(j.result); } catch (e) { reject(e); } });
        });
        req.on('error', reject);
        req.end(body);
    });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function lastBatch(url) {
    let n = 0;
    for (;;) {
        try { if (!(await jsonRpc(url, 'aegis_getBatch', [n + 1]))) return n; } catch (e) { return n; }
        n++;
    }
}

async function main() {
    // 1. aegisd
    aegis(['keygen', '--type', 'ml-dsa-87', '--out', path.join(work, 'oracle')]);
    aegis(['keygen', '--type', 'secp256k1', '--out', path.join(work, 'publisher')]);
    const port = await (async () => { const s = require('net').createServer(); await new Promise((r) => s.listen(0, '127.0.0.1', r)); const p = s.address().port; await new Promise((r) => s.close(r)); return p; })();
    const url = `http://127.0.0.1:${port}`;
    const d = spawn(path.join(binDir, 'aegisd'), ['--listen', `127.0.0.1:${port}`, '--data-dir', path.join(work, 'var'),
                                                  '--oracle-key', path.join(work, 'oracle.pub')], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(d);
    let derr = '';
    d.stderr.on('data', (c) => (derr += c));
    for (let i = 0; ; i++) {
        try { await jsonRpc(url, 'aegis_status', []); break; } catch (e) { if (i > 200) throw new Error('aegisd did not start: ' + derr.slice(-500)); await sleep(100); }
    }
    // a batch per second at most (batch.interval_ms): load, wait for the next batch, again
    const loadUntil = async (k) => {
        for (let round = 0; (await lastBatch(url)) < k; round++) {
            if (round > 20) throw new Error('aegisd made fewer than ' + k + ' batches');
            const before = await lastBatch(url);
            aegis(['loadgen', '--rpc', url, '--count', '8', '--senders', '4', '--allow-sim']);
            for (let i = 0; i < 50 && (await lastBatch(url)) <= before; i++) await sleep(100);
        }
    };
    await loadUntil(3);

    // 2. anvil and the contracts
    L.state.quiet = true;
    const anvil = await L.startAnvil(anvilBin);
    children.push(anvil);
    const ks = await jsonRpc(url, 'aegis_getKeySet', [1]);
    const encoded = ks.encoded;
    const b1 = await jsonRpc(url, 'aegis_getBatch', [1]);
    const chainId = b1.header.chain_id;
    const c = await L.deployAll(chainId);
    const mldsaPk = '0x' + L.strip(encoded).slice(2 * 13, 2 * 2605);
    await L.registerMldsa(c.pqc, mldsaPk, 'aegisd key');
    await L.send('registerGenesisSim', c.sa, L.call('registerGenesisSim(bytes)', ['bytes'], [encoded]));
    const pubAddr = '0x' + L.keccak256(Buffer.from(fs.readFileSync(path.join(work, 'publisher.pub'), 'utf8').trim().split(/\s+/)[1], 'hex').subarray(1)).slice(24);
    await L.rpc('eth_sendTransaction', [{ from: L.state.from, to: pubAddr, value: '0x8ac7230489e80000' }]); // 10 ETH
    const publish = (extra = []) => aegis(['chain', 'publish', '--rpc', url, '--l1', L.state.url, '--contract', c.sa,
                                           '--key', path.join(work, 'publisher.key'), ...extra]);

    // 3. two batches, then resume
    let out = publish(['--max', '2']);
    process.stdout.write(out);
    if (!/^batch 1: ECDSA/m.test(out) || !/^batch 2: ECDSA/m.test(out)) throw new Error('first run did not post batches 1-2 by ECDSA');
    out = publish();
    process.stdout.write(out);
    if (/^batch [12]:/m.test(out) || !/^batch 3: ECDSA/m.test(out)) throw new Error('second run did not resume at batch 3');

    // 4. the QRM Monitor: `aegis risk watch --once` scores a signals file and pushes each
    //    change, signed by the oracle key, to aegisd and to QRMSOracle
    const oid = await L.registerMldsa(c.pqc, '0x' + fs.readFileSync(path.join(work, 'oracle.pub'), 'utf8').trim().split(/\s+/)[1], 'oracle key');
    await L.send('setOracleKey', c.oracle, L.call('setOracleKey(bytes32,bool)', ['bytes32', 'bool'], [oid, true]));
    const signals = path.join(work, 'signals.toml'), wstate = path.join(work, 'watch-state.json');
    const writeSignals = (brk) => fs.writeFileSync(signals, 'version = 1\n[signals.logical_qubits]\nvalue = 48\n' +
        '[signals.advisory]\nvalue = 1\n[signals.algorithm_break]\nvalue = ' + brk + '\n');
    const watch = () => aegis(['risk', 'watch', '--once', '--rpc', url, '--signals', signals, '--key', path.join(work, 'oracle.key'),
                               '--state', wstate, '--source', 'qrm-e2e', '--l1', L.state.url, '--oracle', c.oracle,
                               '--l1-key', path.join(work, 'publisher.key')]);
    const onChain = async () => {
        const lv = parseInt(L.strip(await L.view(c.oracle, '0x' + L.sel('level()'))), 16);
        const sc = parseInt(L.strip(await L.view(c.oracle, '0x' + L.sel('score()'))), 16);
        return { level: lv, score: sc };
    };
    const seqOf = (o) => { const m = /seq (\d+):/.exec(o); if (!m) throw new Error('no seq in: ' + o); return BigInt(m[1]); };
    writeSignals('false');
    out = watch();
    process.stdout.write(out);
    // 48 logical qubits -> 2878 x 4500 = 1295; advisory 1 -> 3000: 4295, normal
    if (!/score 4295 \(normal\); aegisd: accepted; QRMSOracle: accepted/.test(out)) throw new Error('first assessment not pushed to both');
    const seq1 = seqOf(out);
    let oc = await onChain();
    if (oc.score !== 4295 || oc.level !== 0) throw new Error(`QRMSOracle holds ${oc.score}/${oc.level}, not 4295/normal`);
    out = watch();   // unchanged: nothing signed, nothing sent
    if (!/^score 4295 \(normal\): unchanged/m.test(out)) throw new Error('an unchanged score was pushed again: ' + out);
    publish();       // (batches so far go by ECDSA)
    writeSignals('true');   // a published break of ECDSA: +10000 -> emergency
    out = watch();
    process.stdout.write(out);
    if (!/score 10000 \(emergency\); aegisd: accepted; QRMSOracle: accepted/.test(out)) throw new Error('emergency not pushed to both');
    if (seqOf(out) <= seq1) throw new Error('sequence numbers do not increase');
    oc = await onChain();
    if (oc.score !== 10000 || oc.level !== 2) throw new Error(`QRMSOracle holds ${oc.score}/${oc.level}, not 10000/emergency`);
    const st = await jsonRpc(url, 'aegis_status', []);
    if (JSON.stringify(st).indexOf('emergency') < 0) throw new Error('aegisd is not at emergency: ' + JSON.stringify(st).slice(0, 400));

    // 5. aegisd rotates its key set on entering emergency; more load; the publisher registers
    //    epoch 2 (its ML-DSA key, then the hand-over signed by epoch 1) before its batches,
    //    which go by ML-DSA-87 only
    const before = await lastBatch(url);
    await loadUntil(before + 2);
    let ks2 = null;
    for (let i = 0; i < 100 && !ks2; i++) { try { ks2 = await jsonRpc(url, 'aegis_getKeySet', [2]); } catch (e) { await sleep(200); } }
    if (!ks2) throw new Error('aegisd did not rotate to key epoch 2');
    // a registration session left half done (begin + rows 0-3, as by a publisher stopped
    // mid-way): the publisher finishes it (4 rows) instead of starting over
    const pk2 = '0x' + L.strip(ks2.encoded).slice(2 * 13, 2 * 2605);
    const id2 = '0x' + L.keccak256(Buffer.from(L.strip(pk2), 'hex'));
    await L.send('mldsaBegin (epoch 2)', c.pqc, L.call('mldsaBegin(bytes)', ['bytes'], [pk2]));
    for (let r = 0; r < 4; r++) await L.send('mldsaExpandRow', c.pqc, L.call('mldsaExpandRow(bytes32,uint256)', ['bytes32', 'uint256'], [id2, r]));
    out = publish(['--proof', 'ml-dsa']);
    process.stdout.write(out);
    if (!/^epoch 2: ML-DSA-87 key registered \(4 tx, \d+ gas\); hand-over from epoch 1 \(emergency, batch \d+\) posted/m.test(out)) {
        throw new Error('the publisher did not register key epoch 2');
    }
    if (!/: ML-DSA-87,/m.test(out) || /: ECDSA,/m.test(out)) throw new Error('at emergency the batches must go by ML-DSA-87');
    const ep = parseInt(L.strip(await L.view(c.sa, '0x' + L.sel('currentEpoch()'))), 16);
    if (ep !== 2) throw new Error('contract key epoch ' + ep + ', not 2');

    // 6. more batches; once aegisd has sealed them (an SLH-DSA epoch seal after 5 idle batch
    //    intervals), `--proof seal` posts each by its place in the seal: the seal's SLH-DSA
    //    session (2 tx) and registerSeal once per seal, then submitBatchSealed per batch
    const sealFrom = (await lastBatch(url)) + 1;
    await loadUntil(sealFrom + 2);
    let sealed = null;
    for (let i = 0; i < 150 && !sealed; i++) {
        const lb6 = await jsonRpc(url, 'aegis_getBatch', [await lastBatch(url)]);
        if (lb6.seal) sealed = lb6; else await sleep(200);
    }
    if (!sealed) throw new Error('aegisd did not seal its last batches');
    out = publish(['--proof', 'seal']);
    process.stdout.write(out);
    if (!/^seal \d+ \(batches \d+-\d+, key epoch 2\): SLH-DSA verified and registered \(3 tx, \d+ gas\)/m.test(out)) {
        throw new Error('the publisher did not verify and register the SLH-DSA seal');
    }
    for (let n = sealFrom; n <= sealed.number; n++) {
        if (!new RegExp('^batch ' + n + ': SLH-DSA seal \\d+, ').test(out.split('\n').find((x) => x.startsWith('batch ' + n + ':')) || '')) {
            throw new Error('batch ' + n + ' was not posted by its seal');
        }
    }

    // 7. the contract's head = aegisd's last batch = the last batch `aegis verify` checked
    const last = await lastBatch(url);
    const head = L.strip(await L.view(c.sa, '0x' + L.sel('head()')));
    const lb = await jsonRpc(url, 'aegis_getBatch', [last]);
    if (parseInt(head.slice(0, 64), 16) !== last || '0x' + head.slice(64) !== lb.hash) {
        throw new Error(`contract head ${head} is not aegisd's last batch ${last} ${lb.hash}`);
    }
    const ver = aegis(['verify', '--all', '--allow-sim', '--rpc', url]);
    const vlines = ver.split('\n').filter((x) => /^batch \d+ /.test(x));
    const vlast = vlines[vlines.length - 1].split(' ');
    if (Number(vlast[1]) !== last || vlast[2] !== lb.hash) throw new Error('aegis verify ends at ' + vlines[vlines.length - 1]);

    // 8. the monitor as a service: `aegis risk watch` (no --once) re-reads the file; an
    //    override to 9600 reaches QRMSOracle; SIGTERM ends it with status 0; the state file
    //    kept strictly increasing sequence numbers across all the runs
    //    First: the state file lost while QRMSOracle holds a higher seq for the source (another
    //    signer published far ahead): the monitor reads lastSeq(source) and continues above it
    const ahead = BigInt(Date.now()) + 1000000000n;
    const ja = JSON.parse(aegis(['risk', 'sign', '--key', path.join(work, 'oracle.key'), '--score', '9550', '--source', 'qrm-e2e', '--seq', String(ahead)]));
    await L.send('submitAssessment (seq ahead)', c.oracle, L.call('submitAssessment(bytes,bytes)', ['bytes', 'bytes'], [L.riskEnc(ja).toString('hex'), ja.signature]));
    fs.rmSync(wstate);
    out = watch();
    process.stdout.write(out);
    if (!/score 10000 \(emergency\); aegisd: accepted; QRMSOracle: accepted/.test(out) || seqOf(out) !== ahead + 1n) {
        throw new Error('after losing its state the monitor did not continue above the chain\'s seq ' + ahead + ': ' + out);
    }
    const seqBefore = JSON.parse(fs.readFileSync(wstate, 'utf8')).seq;
    const w = spawn(aegisBin, ['risk', 'watch', '--interval', '100', '--rpc', url, '--signals', signals, '--key', path.join(work, 'oracle.key'),
                               '--state', wstate, '--source', 'qrm-e2e', '--l1', L.state.url, '--oracle', c.oracle,
                               '--l1-key', path.join(work, 'publisher.key')], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(w);
    let wout = '';
    w.stdout.on('data', (d) => (wout += d));
    const wexit = new Promise((r) => w.on('exit', (code) => r(code)));
    await sleep(500);
    fs.writeFileSync(signals, fs.readFileSync(signals, 'utf8').replace('version = 1\n', 'version = 1\noverride = 9600\n'));
    for (let i = 0; i < 150 && (await onChain()).score !== 9600; i++) await sleep(200);
    w.kill('SIGTERM');
    const code = await wexit;
    process.stdout.write(wout);
    oc = await onChain();
    const st2 = JSON.parse(fs.readFileSync(wstate, 'utf8'));
    if (oc.score !== 9600 || code !== 0 || !/score 9600 \(emergency\); aegisd: accepted; QRMSOracle: accepted/.test(wout) ||
        !(st2.seq > seqBefore) || st2.l1.seq !== st2.seq || st2.aegisd.score !== 9600) {
        throw new Error(`watch service: on chain ${oc.score}, exit ${code}, state ${JSON.stringify(st2)}`);
    }

    // 9. the publisher as a service (`--follow`): batches made while it runs reach the
    //    contract; SIGTERM ends it with status 0
    const pf = spawn(aegisBin, ['chain', 'publish', '--follow', '--interval', '200', '--rpc', url, '--l1', L.state.url,
                                '--contract', c.sa, '--key', path.join(work, 'publisher.key')], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(pf);
    let pfout = '', pferr = '';
    pf.stdout.on('data', (d) => (pfout += d));
    pf.stderr.on('data', (d) => (pferr += d));
    const pfexit = new Promise((r) => pf.on('exit', (code2) => r(code2)));
    await loadUntil(last + 2);
    const want = await lastBatch(url);
    let hn = 0;
    for (let i = 0; i < 300 && hn < want; i++) {
        hn = parseInt(L.strip(await L.view(c.sa, '0x' + L.sel('head()'))).slice(0, 64), 16);
        if (hn < want) await sleep(200);
    }
    pf.kill('SIGTERM');
    const pfcode = await pfexit;
    process.stdout.write(pfout);
    if (hn < want || pfcode !== 0 || !new RegExp('^batch ' + want + ': ', 'm').test(pfout)) {
        throw new Error(`publisher --follow: head ${hn}, want ${want}, exit ${pfcode}: ${pferr.slice(-400)}`);
    }
    console.log(`publish-e2e: contract head = aegisd's batch ${last} ${lb.hash} = aegis verify's last batch; key epoch 2 on chain; ` +
                `monitor service pushed 9600; publisher --follow reached batch ${want}`);
}

main().then(() => 0, (e) => { console.error('publish-e2e: FAILED: ' + (e.stderr || '') + e.message); return 1; }).then((rc) => {
    for (const ch of children) ch.kill('SIGTERM');
    setTimeout(() => { fs.rmSync(work, { recursive: true, force: true }); process.exit(rc); }, 300);
});
