/* rpc.ts - JSON-RPC 2.0 over HTTP (fetch), with Aegis's structured errors. */
import { AegisRpcError } from './errors.js';

export type FetchFn = typeof globalThis.fetch;

let nextId = 1;

export async function rpcCall(url: string, method: string, params: unknown[] = [],
                              opts: { fetch?: FetchFn; timeoutMs?: number } = {}): Promise<any> {
  const f = opts.fetch ?? globalThis.fetch;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), opts.timeoutMs ?? 30000);
  let res: Response;
  try {
    res = await f(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
      signal: ctl.signal,
    });
  } catch (e) {
    throw new AegisRpcError(method, 0, 0, 'AEGIS_ERR_RPC_TRANSPORT', `${url}: ${(e as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  let body: any;
  try {
    body = await res.json();
  } catch {
    throw new AegisRpcError(method, 0, 0, 'AEGIS_ERR_RPC_TRANSPORT', `${url}: HTTP ${res.status} with a non-JSON body`);
  }
  if (body && typeof body === 'object' && body.error) {
    const e = body.error;
    throw new AegisRpcError(method, Number(e.code) || 0, Number(e.data?.aegis_code) || 0,
                            String(e.data?.name ?? ''), String(e.message ?? 'error'));
  }
  if (!body || typeof body !== 'object' || !('result' in body))
    throw new AegisRpcError(method, 0, 0, 'AEGIS_ERR_RPC_TRANSPORT', `${url}: reply has neither result nor error`);
  return body.result;
}
