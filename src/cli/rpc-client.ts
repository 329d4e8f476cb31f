/**
 * `sipdispatch rpc METHOD [PARAMS...]`: a JSON-RPC call to the admin API's /RPC, printed the way
 * kamcmd prints the same call. Parameters are typed like kamcmd's: integers become numbers, `s:`
 * forces a string and `i:` an integer.
 */
import { formatKamcmd, type JsonRpcReply } from '../admin/kamcmd-format.js';
import { SipDispatchError } from '../shared/errors.js';

function rpcParam(text: string): string | number {
  if (text.startsWith('s:')) return text.slice(2);
  if (text.startsWith('i:')) return Number.parseInt(text.slice(2), 10);
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

export interface RpcCall {
  method: string;
  params: readonly string[];
  /** HOST:PORT of the admin API. */
  http: string;
  token: string | undefined;
}

/** Performs the call; resolves with kamcmd's text and whether it was a fault. */
export async function callAdminRpc(call: RpcCall): Promise<{ text: string; fault: boolean }> {
  const url = `http://${call.http}/RPC`;
  const body = JSON.stringify({ jsonrpc: '2.0', method: call.method, params: call.params.map(rpcParam), id: 1 });
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(call.token ? { authorization: `Bearer ${call.token}` } : {}) },
      body,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new SipDispatchError('RPC_CONNECT', `cannot reach the admin API at ${url}: ${cause}`, { url });
  }
  const reply = (await res.json().catch(() => undefined)) as (JsonRpcReply & { error?: { code: number; message: string } }) | undefined;
  if (!reply || (reply.result === undefined && reply.error === undefined)) {
    throw new SipDispatchError('RPC_CONNECT', `${url} answered HTTP ${res.status} without a JSON-RPC reply`, { url, status: res.status });
  }
  return { text: formatKamcmd(reply), fault: reply.error !== undefined };
}
