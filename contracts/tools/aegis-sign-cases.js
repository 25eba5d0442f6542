#!/usr/bin/env node
// Makes signatures with aegis's own C signer for the contract tests:
//   node tools/aegis-sign-cases.js AEGIS_BIN DIR COUNT [TYPE]
// For i < COUNT: a fresh TYPE key (ml-dsa-87 by default, or slh-dsa-sha2-256s; aegis
// keygen), a random message (0..600 bytes) and
// a random context (0..255 printable bytes; case 0 has the batch context aegis-batch-v1,
// case 1 the empty one, case 2 the longest), signed by `aegis sign`.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');

const [bin, dir, count, type = 'ml-dsa-87'] = process.argv.slice(2);
const aegis = path.join(bin, 'aegis');
fs.mkdirSync(dir, { recursive: true });
for (let i = 0; i < Number(count); i++) {
    const p = (ext) => path.join(dir, i + ext);
    execFileSync(aegis, ['keygen', '--type', type, '--out', p('')], { stdio: 'ignore' });
    const msg = crypto.randomBytes(crypto.randomInt(0, 601));
    let ctx;
    if (i === 0) ctx = 'aegis-batch-v1';
    else if (i === 1) ctx = '';
    else if (i === 2) ctx = 'x'.repeat(255);
    else ctx = Array.from(crypto.randomBytes(crypto.randomInt(1, 256)), (b) => String.fromCharCode(33 + (b % 94))).join('');
    fs.writeFileSync(p('.msg'), msg);
    fs.writeFileSync(p('.ctx'), ctx);
    const out = execFileSync(aegis, ['sign', '--key', p('.key'), '--ctx', ctx, p('.msg')]);
    fs.writeFileSync(p('.sig'), out);
    fs.unlinkSync(p('.key'));
}
console.log('aegis-sign-cases: ' + count + ' ' + type + ' keys and signatures from ' + aegis);
