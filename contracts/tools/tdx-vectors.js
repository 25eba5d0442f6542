#!/usr/bin/env node
// TDX quote vectors for the forge tests (vectors/tdx/<sample>.json): the quote, the PCK
// chain it embeds (PEM -> DER: leaf, intermediate CA), and the TD report fields a test
// compares (MRTD, RTMR0-3, report data), cut out independently of the contract.
//   node tools/tdx-vectors.js DIR...    (each DIR has quote.bin, e.g. tests/vectors/attestation/tdx_v4_dcapqvl)
'use strict';
const fs = require('fs');
const path = require('path');

const OUT = path.join(__dirname, '..', 'vectors', 'tdx');
const hex = (b) => '0x' + Buffer.from(b).toString('hex');
fs.mkdirSync(OUT, { recursive: true });
for (const dir of process.argv.slice(2)) {
    const q = fs.readFileSync(path.join(dir, 'quote.bin'));
    const v = { version: q.readUInt16LE(0), quote: hex(q), chain: [] };
    if (v.version === 4) {
        const authLen = q.readUInt16LE(1218);
        let p = 1220 + authLen;
        const type = q.readUInt16LE(p), size = q.readUInt32LE(p + 2);
        if (type !== 5) throw new Error(dir + ': inner certification data type ' + type);
        const pem = q.subarray(p + 6, p + 6 + size).toString('latin1');
        v.chain = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g)]
            .map((m) => hex(Buffer.from(m[1].replace(/\s+/g, ''), 'base64')));
        const body = q.subarray(48, 48 + 584);
        v.mrtd = hex(body.subarray(136, 184));
        v.rtmrs = hex(body.subarray(328, 520));
        v.reportData = hex(body.subarray(520, 584));
    }
    fs.writeFileSync(path.join(OUT, path.basename(dir) + '.json'), JSON.stringify(v));
}
console.log('tdx-vectors: ' + (process.argv.length - 2) + ' quotes');
