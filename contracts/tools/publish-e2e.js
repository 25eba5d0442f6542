#!/usr/bin/env node
// aegisd (sim) under load, the contracts on anvil, and `aegis chain publish` between them:
//   node tools/publish-e2e.js AEGIS_BIN_DIR ANVIL_BIN        (uses out/ from forge build)
// 1. aegisd on a free loopback port with a fresh data dir (sim TEE), trusting a fresh
//    oracle key; `aegis loadgen` makes batches.
// 2. anvil (Osaka, EIP-7825 cap) with the contracts; aegisd's key set (aegis_getKeySet):
//    its ML-DSA-87 key registered (9 tx) and the sim genesis.
// 3. `aegis chain publish --max 2` posts batches 1-2; a second run resumes from the
//    contract's head and posts the rest (ECDSA: the level is normal).
// 4. an assessment at 9500 from `aegis risk sign` raises the on-chain level to emergency;
//    more load; `aegis chain publish` now posts with ML-DSA-87 (ECDSA refused on chain).
// 5. the contract's head equals aegisd's last batch, which `aegis verify --all` accepts.
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

    // 4. emergency on chain, more load, ML-DSA from now on
    const oid = await L.registerMldsa(c.pqc, '0x' + fs.readFileSync(path.join(work, 'oracle.pub'), 'utf8').trim().split(/\s+/)[1], 'oracle key');
    await L.send('setOracleKey', c.oracle, L.call('setOracleKey(bytes32,bool)', ['bytes32', 'bool'], [oid, true]));
    const j = JSON.parse(aegis(['risk', 'sign', '--key', path.join(work, 'oracle.key'), '--score', '9500', '--source', 'qrm-e2e', '--seq', '1']));
    await L.send('submitAssessment 9500', c.oracle, L.call('submitAssessment(bytes,bytes)', ['bytes', 'bytes'], [L.riskEnc(j).toString('hex'), j.signature]));
    await loadUntil((await lastBatch(url)) + 2);
    out = publish();
    process.stdout.write(out);
    if (!/: ML-DSA-87,/m.test(out) || /: ECDSA,/m.test(out)) throw new Error('at emergency the batches must go by ML-DSA-87');

    // 5. the contract's head = aegisd's last batch, verified offline
    const last = await lastBatch(url);
    const head = L.strip(await L.view(c.sa, '0x' + L.sel('head()')));
    const lb = await jsonRpc(url, 'aegis_getBatch', [last]);
    if (parseInt(head.slice(0, 64), 16) !== last || '0x' + head.slice(64) !== lb.hash) {
        throw new Error(`contract head ${head} is not aegisd's last batch ${last} ${lb.hash}`);
    }
    aegis(['verify', '--all', '--allow-sim', '--rpc', url]);
    console.log(`publish-e2e: contract head = aegisd's batch ${last} ${lb.hash}, verified by aegis verify`);
}

main().then(() => 0, (e) => { console.error('publish-e2e: FAILED: ' + (e.stderr || '') + e.message); return 1; }).then((rc) => {
    for (const ch of children) ch.kill('SIGTERM');
    setTimeout(() => { fs.rmSync(work, { recursive: true, force: true }); process.exit(rc); }, 300);
});
