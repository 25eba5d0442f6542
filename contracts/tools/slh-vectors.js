#!/usr/bin/env node
// SLH-DSA-SHA2-256s test vectors for the forge tests, one JSON file per case in
// vectors/slh/, with an independent reference of the verification's intermediate values
// (FIPS 205 Algorithms 20, 17, 13, 11, 8 over Node's SHA-256/512): the FORS public key,
// idx_tree, idx_leaf and the XMSS node after every hypertree layer.
//   node tools/slh-vectors.js acvp SLH-DSA-SHA2-256s-sigGen.json   (cases NIST signed)
//   node tools/slh-vectors.js aegis DIR        (DIR/N.pub .msg .ctx .sig from aegis)
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const OUT = path.join(__dirname, '..', 'vectors', 'slh');
const N = 32;
const sha = (alg, ...b) => crypto.createHash(alg).update(Buffer.concat(b)).digest();
const hex = (b) => '0x' + Buffer.from(b).toString('hex');

function adrs(layer, tree, type, kp, ch, idx) {
    const a = Buffer.alloc(22);
    a[0] = layer;
    a.writeBigUInt64BE(BigInt(tree), 1);
    a[9] = type;
    a.writeUInt32BE(kp, 10);
    a.writeUInt32BE(ch, 14);
    a.writeUInt32BE(idx, 18);
    return a;
}
const F = (seed, ad, x) => sha('sha256', seed, Buffer.alloc(32), ad, x).subarray(0, N);
const H = (seed, ad, ...x) => sha('sha512', seed, Buffer.alloc(96), ad, ...x).subarray(0, N);

function bits(buf, start, len) {
    let v = 0;
    for (let b = start; b < start + len; b++) v = v * 2 + ((buf[b >> 3] >> (7 - (b & 7))) & 1);
    return v;
}

function reference(pk, mp, sig) {
    const seed = pk.subarray(0, 32), root = pk.subarray(32, 64);
    const R = sig.subarray(0, 32);
    const inner = sha('sha512', R, seed, root, mp);
    const digest = sha('sha512', R, seed, inner, Buffer.alloc(4)).subarray(0, 47);
    let idxTree = 0n;
    for (let i = 39; i < 46; i++) idxTree = (idxTree << 8n) | BigInt(digest[i]);
    let idxLeaf = digest[46];
    const roots = [];
    for (let i = 0; i < 22; i++) {
        const ind = bits(digest, 14 * i, 14);
        const off = 32 + i * 480;
        let node = (i << 14) | ind;
        let v = F(seed, adrs(0, idxTree, 3, idxLeaf, 0, node), sig.subarray(off, off + 32));
        for (let j = 0; j < 14; j++) {
            const auth = sig.subarray(off + 32 + 32 * j, off + 64 + 32 * j);
            const ad = adrs(0, idxTree, 3, idxLeaf, j + 1, node >> 1);
            v = (node & 1) === 0 ? H(seed, ad, v, auth) : H(seed, ad, auth, v);
            node >>= 1;
        }
        roots.push(v);
    }
    const forsPk = H(seed, adrs(0, idxTree, 4, idxLeaf, 0, 0), ...roots);
    const ref = { forsPk: hex(forsPk), idxTree: idxTree.toString(), idxLeaf, layers: [] };
    let node = forsPk, tree = idxTree, leaf = idxLeaf;
    for (let j = 0; j < 8; j++) {
        if (j > 0) { leaf = Number(tree & 255n); tree >>= 8n; }
        const x = sig.subarray(32 + 10560 + j * 2400);
        const digits = [];
        for (let i = 0; i < 64; i++) digits.push(bits(node, 4 * i, 4));
        let csum = digits.reduce((s, d) => s + 15 - d, 0) << 4;
        digits.push((csum >> 12) & 15, (csum >> 8) & 15, (csum >> 4) & 15);
        const tops = digits.map((d, i) => {
            let v = x.subarray(32 * i, 32 * i + 32);
            for (let s = d; s < 15; s++) v = F(seed, adrs(j, tree, 0, leaf, i, s), v);
            return v;
        });
        node = H(seed, adrs(j, tree, 1, leaf, 0, 0), ...tops);
        let idx = leaf;
        for (let k = 0; k < 8; k++) {
            const auth = x.subarray(2144 + 32 * k, 2176 + 32 * k);
            const ad = adrs(j, tree, 2, 0, k + 1, idx >> 1);
            node = (idx & 1) === 0 ? H(seed, ad, node, auth) : H(seed, ad, auth, node);
            idx >>= 1;
        }
        ref.layers.push(hex(node));
    }
    ref.valid = Buffer.compare(node, root) === 0;
    return ref;
}

function writeCase(name, pk, mp, sig, ok, reason, extra) {
    const ref = reference(pk, mp, sig);
    if (ok && !ref.valid) throw new Error(name + ': the reference refuses a signature expected valid');
    fs.writeFileSync(path.join(OUT, name + '.json'), JSON.stringify(Object.assign({
        pk: hex(pk), mprime: hex(mp), sig: hex(sig), sigHead: hex(sig.subarray(0, 10592)),
        sigHt: hex(sig.subarray(10592)), ok, refValid: ref.valid, reason,
        forsPk: ref.forsPk, idxTree: ref.idxTree, idxLeaf: ref.idxLeaf, layers: ref.layers,
    }, extra)));
    return ref;
}

const PH = {
    'SHA2-224': ['2.16.840.1.101.3.4.2.4', 'sha224'], 'SHA2-256': ['2.16.840.1.101.3.4.2.1', 'sha256'],
    'SHA2-384': ['2.16.840.1.101.3.4.2.2', 'sha384'], 'SHA2-512': ['2.16.840.1.101.3.4.2.3', 'sha512'],
    'SHA2-512/224': ['2.16.840.1.101.3.4.2.5', 'sha512-224'], 'SHA2-512/256': ['2.16.840.1.101.3.4.2.6', 'sha512-256'],
    'SHA3-224': ['2.16.840.1.101.3.4.2.7', 'sha3-224'], 'SHA3-256': ['2.16.840.1.101.3.4.2.8', 'sha3-256'],
    'SHA3-384': ['2.16.840.1.101.3.4.2.9', 'sha3-384'], 'SHA3-512': ['2.16.840.1.101.3.4.2.10', 'sha3-512'],
    'SHAKE-128': ['2.16.840.1.101.3.4.2.11', 'shake128', 32], 'SHAKE-256': ['2.16.840.1.101.3.4.2.12', 'shake256', 64],
};
function derOid(dotted) {
    const a = dotted.split('.').map(Number);
    const body = [40 * a[0] + a[1]];
    for (const v of a.slice(2)) {
        const s = [];
        let x = v;
        do { s.unshift(x & 0x7f); x >>= 7; } while (x);
        for (let i = 0; i < s.length - 1; i++) s[i] |= 0x80;
        body.push(...s);
    }
    return Buffer.from([0x06, body.length, ...body]);
}
function pureMprime(ctx, m) {
    return Buffer.concat([Buffer.from([0, ctx.length]), ctx, m]);
}

function acvp(file) {
    const d = JSON.parse(fs.readFileSync(file, 'utf8'));
    let n = 0;
    for (const c of d.cases) {
        if (!c.signature) continue; // NIST's expected signature is given for 4 cases
        const b = (h) => Buffer.from(h || '', 'hex');
        const pk = b(c.sk).subarray(64, 128);
        const ctx = b(c.context), m = b(c.message);
        let mp;
        if (c.preHash === 'preHash') {
            const [oid, alg, len] = PH[c.hashAlg];
            const ph = len ? crypto.createHash(alg, { outputLength: len }).update(m).digest() : crypto.createHash(alg).update(m).digest();
            mp = Buffer.concat([Buffer.from([1, ctx.length]), ctx, derOid(oid), ph]);
        } else {
            mp = pureMprime(ctx, m);
        }
        writeCase('acvp-' + n, pk, mp, b(c.signature), true, 'NIST sigGen tcId ' + c.tcId,
                  { mode: c.preHash === 'preHash' ? 1 : 0, msg: hex(m), ctx: hex(ctx) });
        n++;
    }
    console.log('slh-vectors: ' + n + ' ACVP cases');
}

function readAlgHex(file, alg) {
    const raw = fs.readFileSync(file);
    for (const line of raw.toString('latin1').split('\n')) {
        const m = line.trim().match(/^(\S+)\s+([0-9a-fA-F]+)$/);
        if (m && m[1].toLowerCase().replace(/[^a-z0-9]/g, '') === alg) return Buffer.from(m[2], 'hex');
    }
    return raw;
}
function flip(buf, bit) {
    const b = Buffer.from(buf);
    b[bit >> 3] ^= 1 << (bit & 7);
    return b;
}

function aegis(dir) {
    const cases = [];
    for (let i = 0; fs.existsSync(path.join(dir, i + '.sig')); i++) {
        const pk = readAlgHex(path.join(dir, i + '.pub'), 'slhdsasha2256s');
        const sig = readAlgHex(path.join(dir, i + '.sig'), 'slhdsasha2256s');
        if (pk.length !== 64 || sig.length !== 29792) throw new Error('aegis slh case ' + i + ': bad lengths');
        cases.push({ pk, sig, msg: fs.readFileSync(path.join(dir, i + '.msg')), ctx: fs.readFileSync(path.join(dir, i + '.ctx')) });
    }
    const rnd = (n) => crypto.randomInt(0, n);
    cases.forEach((c, i) => {
        const put = (tag, v) => {
            const msg = v.msg || c.msg, ctx = v.ctx || c.ctx;
            const ref = writeCase('aegis-' + i + tag, v.pk || c.pk, pureMprime(ctx, msg), v.sig || c.sig, !!v.ok, v.reason,
                                  { mode: 0, msg: hex(msg), ctx: hex(ctx) });
            if (!v.ok && ref.valid) throw new Error('aegis slh ' + i + tag + ': the reference accepts a tampered case');
        };
        put('', { ok: true, reason: 'aegis C signer, valid' });
        put('-sig-r', { sig: flip(c.sig, rnd(256)), reason: 'one bit of R flipped' });
        put('-sig-fors', { sig: flip(c.sig, 256 + rnd(10560 * 8)), reason: 'one bit of SIG_FORS flipped' });
        put('-sig-ht', { sig: flip(c.sig, 10592 * 8 + rnd(19200 * 8)), reason: 'one bit of SIG_HT flipped' });
        put('-msg', { msg: c.msg.length ? flip(c.msg, rnd(c.msg.length * 8)) : Buffer.from([0]), reason: 'message changed by one bit' });
        put('-ctx', { ctx: c.ctx.length ? flip(c.ctx, rnd(c.ctx.length * 8)) : Buffer.from([0]), reason: 'context changed by one bit' });
        put('-key', { pk: flip(c.pk, rnd(512)), reason: 'one bit of the public key flipped' });
        put('-other', { pk: cases[(i + 1) % cases.length].pk, reason: 'valid signature under another key' });
    });
    console.log('slh-vectors: ' + cases.length + ' aegis cases, 8 variants each');
}

fs.mkdirSync(OUT, { recursive: true });
({ acvp, aegis })[process.argv[2]](process.argv[3]);
