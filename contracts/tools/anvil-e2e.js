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
const { CAP, root, strip, sel, call, send, view, registerMldsa, startAnvil, deployAll, state, keccak256 } = require('./l1');

const V = JSON.parse(fs.readFileSync(path.join(root, 'vectors', 'chain.json'), 'utf8'));

async function main() {
    const anvil = await startAnvil(process.argv[2]);
    try {
        console.log('anvil-e2e: anvil (osaka, EIP-7825 cap ' + CAP + ') on ' + state.url);
        const { pqc, oracle, sa } = await deployAll(V.chainId);
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
        console.log(`anvil-e2e: head = batch 4 ${b[3].hash}; largest transaction ${state.maxGas} gas (cap ${CAP}), total ${state.total}`);
    } finally {
        anvil.kill();
    }
}
main().catch((e) => { console.error('anvil-e2e: FAILED: ' + e.message); process.exit(1); });
