/*
 * client.ts - AegisClient: the operations a wallet or app needs against one
 * sequencer. Nothing the node says is trusted: the key set is checked
 * against its attestation, every receipt against the key set's ML-DSA-87
 * key, every inclusion against a signed batch header.
 *
 *   const aegis = new AegisClient('http://127.0.0.1:8545', { allowSim: false });
 *   const { txHash } = await aegis.sendRawTransaction(await wallet.signTransaction(tx));
 *   const inc = await aegis.waitForInclusion(txHash);
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { fromHex, toHex } from './bytes.js';
import { AegisError, AegisRpcError } from './errors.js';
import { sealEnvelope } from './envelope.js';
import { loadKeySet, recipientOf, type KeySet, type VerifyOptions } from './keyset.js';
import { parseReceipt, parseStatus, verifyReceipt, type Receipt, type TxStatus } from './receipt.js';
import { rpcCall, type FetchFn } from './rpc.js';
import { txHash as rawTxHash } from './tx.js';
import { verifyInclusion, type BatchHeader } from './batch.js';

export interface ClientOptions extends VerifyOptions {
  fetch?: FetchFn;
  timeoutMs?: number;
}

export interface Submitted {
  txHash: string;
  receipt: Receipt;
  envelope: Uint8Array;
  keySet: KeySet;
}

export interface Inclusion {
  txHash: string;
  batch: bigint;
  batchHash: string;
  index: number;
  header: BatchHeader;
}

/** Anything that signs an Ethereum transaction to raw hex: an ethers Wallet, a viem account. */
export interface TxSigner<T> {
  signTransaction(tx: T): Promise<string>;
}

/** A u64 parameter: a JSON number while exact, else a decimal string. */
const qty = (n: bigint): number | string => (n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString());

/** Refusals that mean "your key is stale": fetch it again and re-seal once. */
const STALE_KEY = ['AEGIS_ERR_ENV_UNKNOWN_EPOCH', 'AEGIS_ERR_ENV_WRONG_RECIPIENT', 'AEGIS_ERR_RISK_EPOCH_EXPIRED'];

export class AegisClient {
  readonly url: string;
  private readonly opts: ClientOptions;
  private current?: KeySet;
  private readonly byEpoch = new Map<bigint, KeySet>();

  constructor(url: string, opts: ClientOptions = {}) {
    this.url = url;
    this.opts = opts;
  }

  call(method: string, params: unknown[] = []): Promise<any> {
    return rpcCall(this.url, method, params, { fetch: this.opts.fetch, timeoutMs: this.opts.timeoutMs });
  }

  /** The node's current key set, fetched and verified (cached until refresh). */
  async getKeySet(refresh = false): Promise<KeySet> {
    if (!this.current || refresh) {
      const k = await loadKeySet(await this.call('aegis_getEncryptionKey'), this.opts);
      this.current = k;
      this.byEpoch.set(k.epoch, k);
    }
    return this.current;
  }

  /** The verified key set of a given epoch (for receipts and batches of older epochs). */
  async getKeySetOf(epoch: bigint): Promise<KeySet> {
    let k = this.byEpoch.get(epoch);
    if (!k) {
      k = await loadKeySet(await this.call('aegis_getKeySet', [qty(epoch)]), this.opts);
      if (k.epoch !== epoch) throw new AegisError('AEGIS_ERR_CHAIN_EPOCH', `asked for epoch ${epoch}, got ${k.epoch}`);
      this.byEpoch.set(epoch, k);
    }
    return k;
  }

  async chainId(): Promise<bigint> {
    return BigInt(await this.call('eth_chainId'));
  }

  /** Seal a signed transaction to the current key (exported for tools). */
  async seal(raw: Uint8Array): Promise<{ envelope: Uint8Array; keySet: KeySet }> {
    const keySet = await this.getKeySet();
    return { envelope: await sealEnvelope(recipientOf(keySet), raw), keySet };
  }

  /**
   * Encrypt a signed transaction to the attested key, submit it, and verify
   * the signed receipt. When the node has moved to a new key epoch between
   * the key fetch and the submission, the key is fetched again and the
   * transaction re-sealed once.
   */
  async sendRawTransaction(rawTx: Uint8Array | string): Promise<Submitted> {
    const raw = typeof rawTx === 'string' ? fromHex(rawTx, undefined, 'raw transaction') : rawTx;
    const hash = rawTxHash(raw);
    for (let attempt = 0; ; attempt++) {
      const { envelope, keySet } = await this.seal(raw);
      let res: any;
      try {
        res = await this.call('aegis_sendEncryptedTransaction', [toHex(envelope)]);
      } catch (e) {
        if (attempt === 0 && e instanceof AegisRpcError && STALE_KEY.includes(e.code)) {
          await this.getKeySet(true);
          continue;
        }
        if (e instanceof AegisRpcError) e.envelopeHash = toHex(sha256(envelope));
        throw e;
      }
      const receipt = parseReceipt(res);
      const ks = receipt.keyEpoch === keySet.epoch ? keySet : await this.getKeySetOf(receipt.keyEpoch);
      verifyReceipt(receipt, ks, envelope, hash);
      return { txHash: toHex(hash), receipt, envelope, keySet: ks };
    }
  }

  /** Sign with an ethers Wallet / viem account (anything with signTransaction) and send. */
  async sendTransaction<T>(signer: TxSigner<T>, tx: T): Promise<Submitted> {
    return this.sendRawTransaction(await signer.signTransaction(tx));
  }

  async getStatus(txHash: string): Promise<TxStatus> {
    return parseStatus(await this.call('aegis_getReceipt', [txHash]));
  }

  /**
   * Poll until a batch includes txHash, then verify that batch (header hash,
   * ML-DSA-87 signature, attestation) and the Merkle proof. A rejected or
   * evicted transaction, or a timeout, throws.
   */
  async waitForInclusion(txHash: string, { timeoutMs = 60000, pollMs = 100 } = {}): Promise<Inclusion> {
    const deadline = Date.now() + timeoutMs;
    const hash = fromHex(txHash, 32, 'tx hash');
    for (;;) {
      const st = await this.getStatus(txHash);
      if (st.status === 'included') {
        const b = await this.call('aegis_getBatch', [qty(st.batch!)]);
        const epoch = BigInt(fromHex(b?.header_abi, 544, 'header_abi').subarray(384 + 24, 416)
          .reduce((a, x) => (a << 8n) | BigInt(x), 0n));
        const ks = await this.getKeySetOf(epoch);
        const header = await verifyInclusion(b, ks, st, hash, this.opts);
        return { txHash, batch: header.number, batchHash: b.hash, index: st.index!, header };
      }
      if (st.status !== 'pending')
        throw new AegisError(st.status === 'rejected' ? 'AEGIS_ERR_REJECTED' : 'AEGIS_ERR_NOT_FOUND',
                             `transaction ${txHash} is ${st.status}${st.reason ? `: ${st.reason}` : ''}`);
      if (Date.now() > deadline) throw new AegisError('AEGIS_ERR_TIMEOUT', `still pending after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}

export const envelopeHash = (env: Uint8Array): string => toHex(sha256(env));
