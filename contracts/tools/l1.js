// Helpers for the Node tools that drive an L1 node (anvil) over JSON-RPC: a minimal ABI
// encoder, calls and transactions from anvil's unlocked account, deployments from forge's
// artifacts (out/), the ML-DSA-87 registration session, and anvil itself on loopback.
'use strict';
const fs = require('fs');
const path = require('path');
const http = require('http');
const net = require('net');
const { spawn } = require('child_process');
const { keccak256 } = require('js-sha3');

const CAP = 1 << 24;
const u64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(v)); return b; };
const root = path.join(__dirname, '..');
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

const state = { url: null, from: null, maxGas: 0, total: 0, quiet: false };
function rpc(method, params) {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
    return new Promise((resolve, reject) => {
        const req = http.request(state.url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
            let d = '';
            res.on('data', (c) => (d += c));
            res.on('end', () => { const j = JSON.parse(d); j.error ? reject(Object.assign(new Error(j.error.message), { data: j.error.data })) : resolve(j.result); });
        });
        req.on('error', reject);
        req.end(body);
    });
}

async function send(what, to, data, expectErr) {
    const tx = { from: state.from, data, gas: '0x' + CAP.toString(16) };
    if (to) tx.to = to;
    if (expectErr) {
        try { await rpc('eth_call', [tx, 'latest']); } catch (e) {
            const got = strip(e.data || '').slice(0, 8);
            if (got !== sel(expectErr)) throw new Error(what + ': reverted with ' + got + ', expected ' + expectErr);
            if (!state.quiet) console.log(`  refused as expected  ${what}: ${expectErr}`);
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
    state.maxGas = Math.max(state.maxGas, gas);
    state.total += gas;
    if (!state.quiet) console.log(`  ${String(gas).padStart(9)} gas  ${what}`);
    return r;
}
async function view(to, data) {
    return rpc('eth_call', [{ from: state.from, to, data }, 'latest']);
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


async function freePort() {
    return new Promise((res) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
}

/* anvil on loopback with Osaka rules and the EIP-7825 cap; returns the child process. */
async function startAnvil(bin) {
    const port = await freePort();
    state.url = `http://127.0.0.1:${port}`;
    const anvil = spawn(bin, ['--hardfork', 'osaka', '--enable-tx-gas-limit', '--host', '127.0.0.1', '--port', String(port),
                              '--gas-limit', '100000000', '--code-size-limit', '24576', '--silent'], { stdio: 'ignore' });
    for (let i = 0; ; i++) {
        try { await rpc('eth_chainId', []); break; } catch (e) { if (i > 100) { anvil.kill(); throw e; } await new Promise((r) => setTimeout(r, 100)); }
    }
    state.from = (await rpc('eth_accounts', []))[0];
    return anvil;
}

/* PQCVerifier, QRMSOracle, TdxQuote and SequencerAttestation (sim mode, governance = anvil's account). */
async function deployAll(chainId) {
    const engine = await deploy('SLHDSAEngine.sol', 'SLHDSAEngine');
    const pqc = await deploy('PQCVerifier.sol', 'PQCVerifier', ['address'], [engine]);
    const oracle = await deploy('QRMSOracle.sol', 'QRMSOracle', ['address', 'address'], [pqc, state.from]);
    const tdx = await deploy('TdxQuote.sol', 'TdxQuote');
    const sa = await deploy('SequencerAttestation.sol', 'SequencerAttestation', ['address', 'address', 'address', 'uint256', 'bool', 'address'],
                            [pqc, oracle, tdx, chainId, true, state.from]);
    return { engine, pqc, oracle, tdx, sa };
}

/* aegisd's canonical risk-assessment encoding (docs/internals/risk.md) from its JSON. */
function riskEnc(j) {
    const src = Buffer.from(j.source);
    const s2 = (v) => { const b = Buffer.alloc(2); b.writeUInt16BE(v); return b; };
    const algNames = { 'ML-DSA-87': 1, 'SLH-DSA-256s': 2, 'ECDSA': 4, 'ECDSA-secp256k1': 4 };
    const algs = (j.algorithms || []).reduce((m, a) => m | (algNames[a] || 0), 0);
    const assets = Object.keys(j.assets || {}).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return Buffer.concat([Buffer.from('AEGR'), Buffer.from([1]), Buffer.from(j.key.slice(2), 'hex'),
                          Buffer.from([src.length]), src, u64(j.seq), u64(j.timestamp_ms), s2(j.score),
                          Buffer.from([algs]), s2(assets.length),
                          ...assets.map((id) => Buffer.concat([Buffer.from([id.length]), Buffer.from(id), s2(j.assets[id])]))]);
}


module.exports = { riskEnc, CAP, root, strip, sel, enc, call, rpc, send, view, deploy, registerMldsa, startAnvil, deployAll, state, keccak256 };
