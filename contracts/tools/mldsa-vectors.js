#!/usr/bin/env node
// Builds the ML-DSA-87 test vectors the forge tests read, one JSON file per case in
// vectors/mldsa/ (forge re-parses a file per cheatcode call: small files keep it fast).
//
//   node tools/mldsa-vectors.js acvp ACVP-sigVer.json          NIST sigVer, all 60 cases
//   node tools/mldsa-vectors.js aegis DIR                      DIR/N.pub, N.msg, N.ctx, N.sig
//                                                              made by `aegis keygen` / `aegis sign`
//
// Each case carries the key's expansion as an independent reference for the on-chain
// registration (A-hat rows, NTT(t1 2^d), tr), computed here with Node's SHAKE (OpenSSL).
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const Q = 8380417;
const OUT = path.join(__dirname, '..', 'vectors', 'mldsa');

function shake(alg, data, n) {
    return crypto.createHash(alg, { outputLength: n }).update(data).digest();
}

function mulq(a, b) {
    return Number((BigInt(a) * BigInt(b)) % BigInt(Q));
}

const ZETAS = (() => {
    const brv = (m) => parseInt(m.toString(2).padStart(8, '0').split('').reverse().join(''), 2);
    const z = [];
    for (let m = 0; m < 256; m++) {
        let r = 1;
        for (let e = 0; e < brv(m); e++) r = mulq(r, 1753);
        z.push(r);
    }
    return z;
})();

function ntt(w) {
    let m = 0;
    for (let len = 128; len >= 1; len >>= 1) {
        for (let start = 0; start < 256; start += 2 * len) {
            const z = ZETAS[++m];
            for (let j = start; j < start + len; j++) {
                const t = mulq(z, w[j + len]);
                w[j + len] = (w[j] - t + Q) % Q;
                w[j] = (w[j] + t) % Q;
            }
        }
    }
    return w;
}

function pack3(polys) {
    const b = Buffer.alloc(polys.length * 768);
    polys.forEach((p, i) => p.forEach((c, j) => b.writeUIntBE(c, (i * 256 + j) * 3, 3)));
    return b;
}

function expandRow(rho, r) {
    const polys = [];
    for (let s = 0; s < 7; s++) {
        const seed = Buffer.concat([rho, Buffer.from([s, r])]);
        for (let n = 840; ; n += 168) {
            const out = shake('shake128', seed, n);
            const p = [];
            for (let o = 0; o + 3 <= n && p.length < 256; o += 3) {
                const z = out[o] | (out[o + 1] << 8) | ((out[o + 2] & 0x7f) << 16);
                if (z < Q) p.push(z);
            }
            if (p.length === 256) {
                polys.push(p);
                break;
            }
        }
    }
    return pack3(polys);
}

function t1Hat(pk) {
    const polys = [];
    for (let i = 0; i < 8; i++) {
        const p = [];
        const b = pk.subarray(32 + 320 * i);
        for (let t = 0; t < 64; t++) {
            const x = b.subarray(5 * t);
            p.push(x[0] | ((x[1] & 3) << 8), (x[1] >> 2) | ((x[2] & 15) << 6),
                   (x[2] >> 4) | ((x[3] & 63) << 4), (x[3] >> 6) | (x[4] << 2));
        }
        polys.push(ntt(p.map((c) => c * 8192)));
    }
    return pack3(polys);
}

const hex = (b) => '0x' + Buffer.from(b).toString('hex');

function writeCase(name, pk, c) {
    const rows = [];
    for (let r = 0; r < 8; r++) rows.push(hex(expandRow(pk.subarray(0, 32), r)));
    const v = Object.assign({
        pk: hex(pk), tr: hex(shake('shake256', pk, 64)), t1hat: hex(t1Hat(pk)), rows,
    }, c);
    fs.writeFileSync(path.join(OUT, name + '.json'), JSON.stringify(v));
}

function acvp(file) {
    const d = JSON.parse(fs.readFileSync(file, 'utf8'));
    const b = (h) => Buffer.from(h || '', 'hex');
    let n = 0;
    for (const c of d.cases) {
        const pk = b(c.pk);
        // mode 0: pure external (msg, ctx); 1: internal on M'; 2: external mu.
        let mode, msg = Buffer.alloc(0), ctx = Buffer.alloc(0), mp = Buffer.alloc(0), mu = Buffer.alloc(0);
        if (c.signatureInterface === 'external' && c.preHash === 'pure') {
            mode = 0; msg = b(c.message); ctx = b(c.context);
        } else if (c.signatureInterface === 'external') {
            // HashML-DSA: M' = 0x01 || len(ctx) || ctx || OID || PH(M), checked on chain
            // through Verify_internal (the pre-hash is the caller's).
            mode = 1; mp = hashMprime(c);
        } else if (c.externalMu) {
            mode = 2; mu = b(c.mu);
        } else {
            mode = 1; mp = b(c.message);
        }
        writeCase('acvp-' + n, pk, {
            tcId: c.tcId, mode, msg: hex(msg), ctx: hex(ctx), mprime: hex(mp), mu: hex(mu),
            sig: hex(b(c.signature)), ok: c.testPassed, reason: c.reason || '',
        });
        n++;
    }
    console.log('mldsa-vectors: ' + n + ' ACVP cases');
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

function hashMprime(c) {
    const [oid, alg, n] = PH[c.hashAlg];
    const m = Buffer.from(c.message, 'hex');
    const ph = n ? shake(alg, m, n) : crypto.createHash(alg).update(m).digest();
    const ctx = Buffer.from(c.context || '', 'hex');
    return Buffer.concat([Buffer.from([1, ctx.length]), ctx, derOid(oid), ph]);
}

// `aegis sign` prints "<alg> <hex>" lines; `aegis keygen` writes the .pub as raw bytes or
// "<alg> <hex>" lines (both read).
function readAlgHex(file, alg) {
    const raw = fs.readFileSync(file);
    const txt = raw.toString('latin1');
    for (const line of txt.split('\n')) {
        const m = line.trim().match(/^(\S+)\s+([0-9a-fA-F]+)$/);
        if (m && m[1].toLowerCase().replace(/[^a-z0-9]/g, '') === alg) return Buffer.from(m[2], 'hex');
    }
    return raw;
}

// Every aegis case also yields its tampered copies, each of which must be refused:
// one bit of the signature (in c~, in z, in the hint), of the message, of the context,
// of the public key (the tampered key is registered and expanded like any other), and the
// signature checked under the next case's key.
function flip(buf, bit) {
    const b = Buffer.from(buf);
    b[bit >> 3] ^= 1 << (bit & 7);
    return b;
}

function aegis(dir) {
    const cases = [];
    for (let i = 0; fs.existsSync(path.join(dir, i + '.sig')); i++) {
        const pk = readAlgHex(path.join(dir, i + '.pub'), 'mldsa87');
        const sig = readAlgHex(path.join(dir, i + '.sig'), 'mldsa87');
        if (pk.length !== 2592 || sig.length !== 4627) throw new Error('aegis case ' + i + ': bad pk/sig length');
        cases.push({ pk, sig, msg: fs.readFileSync(path.join(dir, i + '.msg')), ctx: fs.readFileSync(path.join(dir, i + '.ctx')) });
    }
    const rnd = (n) => crypto.randomInt(0, n);
    cases.forEach((c, i) => {
        const base = { tcId: i, mode: 0, mprime: '0x', mu: '0x' };
        const put = (tag, pk, v) => writeCase('aegis-' + i + tag, pk, Object.assign({}, base, {
            msg: hex(v.msg || c.msg), ctx: hex(v.ctx || c.ctx), sig: hex(v.sig || c.sig), ok: !!v.ok, reason: v.reason,
        }));
        put('', c.pk, { ok: true, reason: 'aegis C signer, valid' });
        put('-sig-c', c.pk, { sig: flip(c.sig, rnd(64 * 8)), reason: 'one bit of c~ flipped' });
        put('-sig-z', c.pk, { sig: flip(c.sig, 64 * 8 + rnd(4480 * 8)), reason: 'one bit of z flipped' });
        put('-sig-h', c.pk, { sig: flip(c.sig, 4544 * 8 + rnd(83 * 8)), reason: 'one bit of the hint flipped' });
        put('-msg', c.pk, { msg: c.msg.length ? flip(c.msg, rnd(c.msg.length * 8)) : Buffer.from([0]), reason: 'message changed by one bit (or one byte added)' });
        put('-ctx', c.pk, { ctx: c.ctx.length ? flip(c.ctx, rnd(c.ctx.length * 8)) : Buffer.from([0]), reason: 'context changed by one bit (or one byte added)' });
        put('-key', flip(c.pk, rnd(2592 * 8)), { reason: 'one bit of the public key flipped' });
        put('-other', cases[(i + 1) % cases.length].pk, { reason: 'valid signature under another key' });
    });
    console.log('mldsa-vectors: ' + cases.length + ' aegis cases, 8 variants each');
}

// The expansions of the chain test's keys (vectors/chain.json): key-seq1, key-seq2, key-oracle.
function chain(file) {
    const c = JSON.parse(fs.readFileSync(file, 'utf8'));
    for (const [name, field] of [['seq1', 'mldsa1'], ['seq2', 'mldsa2'], ['oracle', 'oraclePk']]) {
        writeCase('key-' + name, Buffer.from(c[field].slice(2), 'hex'), {});
    }
    console.log('mldsa-vectors: 3 chain keys');
}

fs.mkdirSync(OUT, { recursive: true });
({ acvp, aegis, chain })[process.argv[2]](process.argv[3]);
