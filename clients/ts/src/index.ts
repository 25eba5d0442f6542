/* @aegis-sequencer/client: see README.md and docs/wallets.md. */
export * from './errors.js';
export * from './bytes.js';
export * from './envelope.js';
export * from './keyset.js';
export * from './merkle.js';
export * from './receipt.js';
export * from './batch.js';
export * from './tx.js';
export * from './rpc.js';
export * from './client.js';
