/* errors.ts - one error class; `name` is the stable Aegis error name. */

export class AegisError extends Error {
  /** Stable name, e.g. "AEGIS_ERR_ENV_DECRYPT" (docs/errors.md). */
  readonly code: string;
  constructor(code: string, message: string) {
    super(`${message} (${code})`);
    this.code = code;
    this.name = 'AegisError';
  }
}

/** A JSON-RPC error object from the node, or a transport failure (rpcCode 0). */
export class AegisRpcError extends AegisError {
  readonly rpcCode: number;
  readonly aegisCode: number;
  readonly method: string;
  /** For a refused submission: the envelope's hash, to query aegis_getReceipt with. */
  envelopeHash?: string;
  constructor(method: string, rpcCode: number, aegisCode: number, name: string, message: string) {
    super(name || 'AEGIS_ERR_RPC', `${method}: ${message}`);
    this.name = 'AegisRpcError';
    this.rpcCode = rpcCode;
    this.aegisCode = aegisCode;
    this.method = method;
  }
}
