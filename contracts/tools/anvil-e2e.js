#!/usr/bin/env node
// The contracts end to end on a real node: anvil (Osaka, EIP-7825 cap enforced) on
// loopback, every step a real transaction, each checked to have used less than 2^24 gas.
//   node tools/anvil-e2e.js ANVIL_BIN      (after tools/chain-vectors.js; uses out/ from forge build)
// Flow: deploy; the ML-DSA-87 registration sessions (begin + 8 rows) of the sequencer's
// and the oracle's keys; the sim genesis; batch 1 by ECDSA and 2 by ML-DSA; an assessment
// at 9500 (emergency); batch 3 by ECDSA refused, then accepted by ML-DSA; the epoch seal's
// SLH-DSA session (2 txs); batch 4 by its seal path; the head equals batch 4's hash.
// Prints one line per transaction with its gas; exits non-zero on any failure.
'use strict';
const fs = require('fs');
const path = require('path');
const http = require('http');
const net = require('net');
const { spawn } = require('child_process');
const { keccak256 } = require('js-sha3');

const CAP = 1 << 24;
const root = path.join(__dirname, '..');
const V = JSON.parse(fs.readFileSync(path.join(root, 'vectors', 'chain.json'), 'utf8'));
const strip = (h) => (h.startsWith('0x') ? h.slice(2) : h);
const sel = (sig) => keccak256(sig).slice(0, 8);

// ---- a minimal ABI encoder: bytes32 / uint / address / bool / bytes / bytes32[] / bytes[]
function enc(types, vals) {
    const head = [], tail = [];
    let dyn = 0;
    const word = (n) => BigInt(n).toString(16).padStart(64, '0');
    const bytesEnc = (h) => { h = strip(h); return word(h.length / 2) + h.padEnd(Math.ceil(h.length / 64) * 64, '0'); };
    const parts = types.map((t, i) => {
        const v = vals[i];
        if (t === 'bytes') return { dyn: true, data: bytesEnc(v) };
        if (t === 'bytes32[]') return { dyn: true, data: word(v.length) + v.map(strip).join('') };
        if (t === 'bytes[]') {
            const inner = enc(v.map(() => 'bytes'), v);
            return { dyn: true, data: word(v.length) + inner };
        }
        if (t === 'bytes32') return { dyn: false, data: strip(v).padStart(64, '0') };
        if (t === 'address') return { dyn: false, data: strip(v).toLowerCase().padStart(64, '0') };
        if (t === 'bool') return { dyn: false, data: word(v ? 1 : 0) };
        return { dyn: false, data: word(v) };
    });
    let off = parts.length * 32;
    for (const p of parts) {
        if (p.dyn) { head.push(BigInt(off).toString(16).padStart(64, '0')); tail.push(p.data); off += p.data.length / 2; }
        else head.push(p.data);
    }
    return head.join('') + tail.join('');
}
const call = (sig, types, vals) => '0x' + sel(sig) + enc(types, vals);

let port, url;
function rpc(method, params) {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
    return new Promise((resolve, reject) => {
        const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
            let d = '';
            res.on('data', (c) => (d += c));
            res.on('end', () => { const j = JSON.parse(d); j.error ? reject(Object.assign(new Error(j.error.message), { data: j.error.data })) : resolve(j.result); });
        });
        req.on('error', reject);
        req.end(body);
    });
}

let from, maxGas = 0, total = 0;
async function send(what, to, data, expectErr) {
    const tx = { from, data, gas: '0x' + CAP.toString(16) };
    if (to) tx.to = to;
    if (expectErr) {
        try { await rpc('eth_call', [tx, 'latest']); } catch (e) {
            const got = strip(e.data || '').slice(0, 8);
            if (got !== sel(expectErr)) throw new Error(what + ': reverted with ' + got + ', expected ' + expectErr);
            console.log(`  refused as expected  ${what}: ${expectErr}`);
            return null;
        }
        throw new Error(what + ': expected ' + expectErr + ', but it succeeded');
    }
    const h = await rpc('eth_sendTransaction', [tx]);
    let r = null;
    for (let i = 0; !r; i++) {
        r = await rpc('eth_getTransactionReceipt', [h]);
        if (!r) {
            if (i > 600) throw new Error(what + ': no receipt');
            await new Promise((res) => setTimeout(res, 50));
        }
    }
    const gas = parseInt(r.gasUsed, 16);
    if (r.status !== '0x1') throw new Error(what + ': transaction failed (gas used ' + gas + ')');
    if (gas >= CAP) throw new Error(what + ': used ' + gas + ' gas, over the cap');
    maxGas = Math.max(maxGas, gas);
    total += gas;
    console.log(`  ${String(gas).padStart(9)} gas  ${what}`);
    return r;
}
async function view(to, data) {
    return rpc('eth_call', [{ from, to, data }, 'latest']);
}
function artifact(file, name) {
    return JSON.parse(fs.readFileSync(path.join(root, 'out', file, name + '.json'), 'utf8')).bytecode.object;
}
async function deploy(file, name, types = [], vals = []) {
    const r = await send('deploy ' + name, null, artifact(file, name) + enc(types, vals));
    return r.contractAddress;
}

async function registerMldsa(pqc, pk, who) {
    await send(`mldsaBegin (${who})`, pqc, call('mldsaBegin(bytes)', ['bytes'], [pk]));
    const id = '0x' + keccak256(Buffer.from(strip(pk), 'hex'));
    for (let r = 0; r < 8; r++) await send(`mldsaExpandRow ${r} (${who})`, pqc, call('mldsaExpandRow(bytes32,uint256)', ['bytes32', 'uint256'], [id, r]));
    return id;
}

async function main() {
    port = await new Promise((res) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
    url = `http://127.0.0.1:${port}`;
    const anvil = spawn(process.argv[2], ['--hardfork', 'osaka', '--enable-tx-gas-limit', '--host', '127.0.0.1', '--port', String(port),
                                          '--gas-limit', '100000000', '--code-size-limit', '24576', '--silent'], { stdio: 'ignore' });
    try {
        for (let i = 0; ; i++) {
            try { await rpc('eth_chainId', []); break; } catch (e) { if (i > 100) throw e; await new Promise((r) => setTimeout(r, 100)); }
        }
        from = (await rpc('eth_accounts', []))[0];
        console.log('anvil-e2e: anvil (osaka, EIP-7825 cap ' + CAP + ') on ' + url);
        const engine = await deploy('SLHDSAEngine.sol', 'SLHDSAEngine');
        const pqc = await deploy('PQCVerifier.sol', 'PQCVerifier', ['address'], [engine]);
        const oracle = await deploy('QRMSOracle.sol', 'QRMSOracle', ['address', 'address'], [pqc, from]);
        const tdx = await deploy('TdxQuote.sol', 'TdxQuote');
        const sa = await deploy('SequencerAttestation.sol', 'SequencerAttestation', ['address', 'address', 'address', 'uint256', 'bool', 'address'],
                                [pqc, oracle, tdx, V.chainId, true, from]);
        await registerMldsa(pqc, V.mldsa1, 'sequencer key');
        const oid = await registerMldsa(pqc, V.oraclePk, 'oracle key');
        await send('setOracleKey', oracle, call('setOracleKey(bytes32,bool)', ['bytes32', 'bool'], [oid, true]));
        await send('registerGenesisSim', sa, call('registerGenesisSim(bytes)', ['bytes'], [V.keySet1]));
        const submit = 'submitBatch(bytes,bytes,bytes)';
        const b = V.batches;
        await send('submitBatch 1 (ECDSA)', sa, call(submit, ['bytes', 'bytes', 'bytes'], [b[0].header, b[0].ecdsa, '0x']));
        await send('submitBatch 3 (ML-DSA-87)', sa, call(submit, ['bytes', 'bytes', 'bytes'], [b[1].header, '0x', b[1].mldsa]));
        await send('submitAssessment 9500 (emergency)', oracle, call('submitAssessment(bytes,bytes)', ['bytes', 'bytes'], [V.risk[2].enc, V.risk[2].sig]));
        const lvl = parseInt(await view(oracle, '0x' + sel('level()')), 16);
        if (lvl !== 2) throw new Error('oracle level ' + lvl + ', expected emergency');
        await send('submitBatch 3 (ECDSA)', sa, call(submit, ['bytes', 'bytes', 'bytes'], [b[2].header, b[2].ecdsa, '0x']), 'EcdsaRefusedAtEmergency()');
        await send('submitBatch 3 (ML-DSA-87)', sa, call(submit, ['bytes', 'bytes', 'bytes'], [b[2].header, '0x', b[2].mldsa]));
        const htHash = '0x' + keccak256(Buffer.from(strip(V.seal.sigHt), 'hex'));
        const headHash = '0x' + keccak256(Buffer.from(strip(V.seal.sigHead), 'hex'));
        await send('slhBegin (epoch seal)', pqc, call('slhBegin(bytes,bytes,bytes,bytes,bytes32)', ['bytes', 'bytes', 'bytes', 'bytes', 'bytes32'],
                                                       [V.slhPk, V.seal.digest, '0x' + Buffer.from('aegis-seal-v1').toString('hex'), V.seal.sigHead, htHash]));
        const sid = strip(await view(pqc, call('slhSessionId(bytes,bytes,bytes,bytes32,bytes32)', ['bytes', 'bytes', 'bytes', 'bytes32', 'bytes32'],
                                               [V.slhPk, V.seal.digest, '0x' + Buffer.from('aegis-seal-v1').toString('hex'), headHash, htHash])));
        await send('slhFinish (epoch seal)', pqc, call('slhFinish(bytes32,bytes)', ['bytes32', 'bytes'], ['0x' + sid, V.seal.sigHt]));
        await send('registerSeal', sa, call('registerSeal(uint64,bytes,uint64,uint64,bytes32,bytes32,bytes32)',
                                            ['uint256', 'bytes', 'uint256', 'uint256', 'bytes32', 'bytes32', 'bytes32'],
                                            [1, V.slhPk, 1, 4, V.seal.root, headHash, htHash]));
        await send('submitBatchSealed 4', sa, call('submitBatchSealed(bytes,bytes32,bytes32[])', ['bytes', 'bytes32', 'bytes32[]'],
                                                   [b[3].header, V.seal.root, V.seal.paths[3]]));
        const head = strip(await view(sa, '0x' + sel('head()')));
        if (parseInt(head.slice(0, 64), 16) !== 4 || '0x' + head.slice(64) !== b[3].hash) throw new Error('head is not batch 4: ' + head);
        console.log(`anvil-e2e: head = batch 4 ${b[3].hash}; largest transaction ${maxGas} gas (cap ${CAP}), total ${total}`);
    } finally {
        anvil.kill();
    }
}
main().catch((e) => { console.error('anvil-e2e: FAILED: ' + e.message); process.exit(1); });
