#!/usr/bin/env node
// Key sets, batch headers, hand-over, risk assessments and an epoch seal, all signed by
// aegis's own CLI (`aegis keygen`, `aegis sign`, `aegis risk sign`), for the
// SequencerAttestation and QRMSOracle tests: vectors/chain.json.
//   node tools/chain-vectors.js AEGIS_BIN WORKDIR
// Formats (mirrors of the C encoders, so a mismatch fails the on-chain checks):
//   key set   "AEGP" | 1 | u64 epoch | ML-DSA pk | SLH-DSA pk | secp256k1 pk | ML-KEM ek | X25519
//   header    abi.encode of the 17 fields of include/aegis/batch.h
//   hand-over "AEGH" | 1 | u64 old | u64 new | old hash | new hash | u64 batch | u8 reason | u64 ts
//   risk      "AEGR" | 1 | key_id | u8 len | source | u64 seq | u64 ts | u16 score | u8 algs | u16 n | assets
//   seal      keccak256(abi.encode("AEGIS-EPOCH-SEAL-V1", chainId, first, count, root))
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');
const { keccak256 } = require('js-sha3');

const [bin, work] = process.argv.slice(2);
const aegis = (...a) => execFileSync(path.join(bin, 'aegis'), a);
const kk = (b) => Buffer.from(keccak256.arrayBuffer(b));
const hex = (b) => '0x' + Buffer.from(b).toString('hex');
const CHAIN_ID = 7;
fs.mkdirSync(work, { recursive: true });
const f = (n) => path.join(work, n);

function readAlgHex(file) {
    const m = fs.readFileSync(file, 'latin1').trim().match(/^(\S+)\s+([0-9a-fA-F]+)$/);
    return Buffer.from(m[2], 'hex');
}
function keygen(type, name) {
    aegis('keygen', '--type', type, '--out', f(name));
    return readAlgHex(f(name + '.pub'));
}
function sign(key, data, ctx) {
    fs.writeFileSync(f('msg.bin'), data);
    const a = ['sign', '--key', f(key + '.key')];
    if (ctx !== undefined) a.push('--ctx', ctx);
    a.push(f('msg.bin'));
    return readAlgHex(null || writeTmp(aegis(...a)));
}
function writeTmp(b) {
    fs.writeFileSync(f('sig.txt'), b);
    return f('sig.txt');
}
const u64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(v)); return b; };
const word = (v) => { const b = Buffer.alloc(32); b.writeBigUInt64BE(BigInt(v), 24); return b; };

function keySet(epoch, mldsa, slh, secp) {
    return Buffer.concat([Buffer.from('AEGP'), Buffer.from([1]), u64(epoch), mldsa, slh, secp,
                          crypto.randomBytes(1568), crypto.randomBytes(32)]);
}

function header(h) {
    return Buffer.concat([word(1), word(CHAIN_ID), word(h.number), h.parent, word(1700000000000 + h.number),
                          word(h.txCount), h.txRoot, word(0), Buffer.alloc(32), word(h.score), word(h.level),
                          word(h.algs), word(h.epoch), word(0), Buffer.alloc(32), word(0), Buffer.alloc(32)]);
}

function merkle(items) {
    let level = items.map((x) => kk(Buffer.concat([Buffer.from([0]), x])));
    const paths = items.map(() => []);
    let idx = items.map((_, i) => i);
    while (level.length > 1) {
        const next = [];
        for (let i = 0; i < level.length; i += 2) {
            if (i + 1 < level.length) next.push(kk(Buffer.concat([Buffer.from([1]), level[i], level[i + 1]])));
            else next.push(level[i]);
        }
        idx = idx.map((p, k) => {
            const sib = p ^ 1;
            if (sib < level.length) paths[k].push(hex(level[sib]));
            return p >> 1;
        });
        level = next;
    }
    return { root: level[0], paths };
}

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

const out = {};
const k1 = keygen('ml-dsa-87', 'seq1');
const k2 = keygen('ml-dsa-87', 'seq2');
const slh = keygen('slh-dsa-sha2-256s', 'slh');
const secp = keygen('secp256k1', 'secp');
const oracle = keygen('ml-dsa-87', 'oracle');
const ks1 = keySet(1, k1, slh, secp), ks2 = keySet(2, k2, slh, secp);
const sha = (b) => crypto.createHash('sha256').update(b).digest();
Object.assign(out, { chainId: CHAIN_ID, mldsa1: hex(k1), mldsa2: hex(k2), slhPk: hex(slh), secpPk: hex(secp), oraclePk: hex(oracle),
                     keySet1: hex(ks1), keySet2: hex(ks2), keySet1Hash: hex(sha(ks1)), keySet2Hash: hex(sha(ks2)),
                     ecdsaAddress: '0x' + kk(secp.subarray(1)).subarray(12).toString('hex') });

// batches 1..4 (aegis numbers from 1; epoch 1) in batches[0..3], each signed by ECDSA
// (over keccak(header) = the hash) and ML-DSA
let parent = Buffer.alloc(32);
out.batches = [];
const hashes = [];
for (let n = 1; n <= 4; n++) {
    const h = header({ number: n, parent, txCount: n + 1, txRoot: crypto.randomBytes(32), score: 1000, level: 0, algs: 7, epoch: 1 });
    const hash = kk(h);
    out.batches.push({ header: hex(h), hash: hex(hash), ecdsa: hex(sign('secp', h)), mldsa: hex(sign('seq1', hash, 'aegis-batch-v1')) });
    hashes.push(hash);
    parent = hash;
}
// batch 5 (batch4 below) under epoch 2, after the hand-over at batch 5
const rec = Buffer.concat([Buffer.from('AEGH'), Buffer.from([1]), u64(1), u64(2), sha(ks1), sha(ks2), u64(5), Buffer.from([2]), u64(1700000005000)]);
// signed by the old key (authority) and the new key (possession); badSig: by the new key where
// the old one must sign; badNewSig: by the old key where the new one must sign
const oldSig = sign('seq1', rec, 'aegis-handover-v1'), newSig = sign('seq2', rec, 'aegis-handover-v1');
out.handover = { record: hex(rec), sig: hex(oldSig), newSig: hex(newSig), badSig: hex(newSig), badNewSig: hex(oldSig) };
const h4 = header({ number: 5, parent, txCount: 1, txRoot: crypto.randomBytes(32), score: 9500, level: 2, algs: 3, epoch: 2 });
out.batch4 = { header: hex(h4), hash: hex(kk(h4)), mldsa: hex(sign('seq2', kk(h4), 'aegis-batch-v1')), mldsaOld: hex(sign('seq1', kk(h4), 'aegis-batch-v1')) };

// the epoch seal over batches 1..4
const m = merkle(hashes);
const digest = kk(Buffer.concat([Buffer.from('AEGIS-EPOCH-SEAL-V1'.padEnd(32, '\0')), word(CHAIN_ID), word(1), word(4), m.root]));
const sealSig = sign('slh', digest, 'aegis-seal-v1');
out.seal = { root: hex(m.root), paths: m.paths, digest: hex(digest), sigHead: hex(sealSig.subarray(0, 10592)), sigHt: hex(sealSig.subarray(10592)) };

// risk assessments from the oracle key: 5000 (normal), 6500 (scheduled), 9500 (emergency)
out.risk = [];
for (const [seq, score] of [[1, 5000], [2, 6500], [3, 9500]]) {
    const j = JSON.parse(aegis('risk', 'sign', '--key', f('oracle.key'), '--score', String(score), '--source', 'qrm-1',
                               '--seq', String(seq), '--at', String(1700000000000 + seq)).toString());
    out.risk.push({ enc: hex(riskEnc(j)), sig: j.signature, score, seq });
}
fs.mkdirSync(path.join(__dirname, '..', 'vectors'), { recursive: true });
fs.writeFileSync(path.join(__dirname, '..', 'vectors', 'chain.json'), JSON.stringify(out));
// ... and every leaf in its own small file (vectors/chain/<key path with dots>), so a test
// reads only what it uses (forge returns a whole file into the test's memory).
const flat = path.join(__dirname, '..', 'vectors', 'chain');
fs.mkdirSync(flat, { recursive: true });
(function walk(v, key) {
    if (v !== null && typeof v === 'object') {
        for (const k of Object.keys(v)) walk(v[k], key ? key + '.' + k : k);
    } else {
        fs.writeFileSync(path.join(flat, key), String(v));
    }
})(out, '');
console.log('chain-vectors: key sets, 5 batches, hand-over, seal, 3 assessments');
