/**
 * The JSON-RPC 2.0 envelope as Kamailio's jsonrpcs module speaks it over HTTP: positional params
 * (an object's values are taken in order, names ignored), HTTP-like fault codes whose status line
 * mirrors the fault (`500 Method Not Found`), and replies keyed jsonrpc, result|error, id in that
 * order. Unlike Kamailio, a body that is not JSON or not a request gets a proper JSON-RPC error.
 */

export type RpcId = string | number | null;

/** A fault as Kamailio raises it: HTTP-like code and its reason phrase. */
export class RpcFault extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'RpcFault';
  }
}

/** One RPC method: positional params in, result out (or an RpcFault thrown). */
export type RpcMethod = (params: readonly unknown[]) => unknown;

export interface RpcRequest {
  jsonrpc?: '2.0';
  method: string;
  params?: unknown[] | Record<string, unknown>;
  id?: RpcId;
}

export type RpcResponse =
  | { jsonrpc: '2.0'; result: unknown; id: RpcId }
  | { jsonrpc: '2.0'; error: { code: number; message: string }; id: RpcId };

export interface RpcHttpReply {
  status: number;
  statusMessage: string;
  body: RpcResponse;
}

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;

/** The JSON schema of a request envelope (batches are not supported, as in Kamailio). */
export const rpcRequestSchema = {
  type: 'object',
  required: ['method'],
  properties: {
    jsonrpc: { const: '2.0' },
    method: { type: 'string', minLength: 1 },
    params: { anyOf: [{ type: 'array' }, { type: 'object' }] },
    id: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'null' }] },
  },
} as const;

/** Params in call order: Kamailio ignores the names of object params and keeps their order. */
export function positionalParams(params: RpcRequest['params']): readonly unknown[] {
  if (params === undefined) return [];
  return Array.isArray(params) ? params : Object.values(params);
}

export function faultReply(fault: RpcFault, id: RpcId): RpcHttpReply {
  return { status: fault.code, statusMessage: fault.message, body: { jsonrpc: '2.0', error: { code: fault.code, message: fault.message }, id } };
}

/** -32700 / -32600: the caller's body is not a request at all (HTTP 400). */
export function envelopeErrorReply(code: typeof PARSE_ERROR | typeof INVALID_REQUEST, id: RpcId): RpcHttpReply {
  const message = code === PARSE_ERROR ? 'Parse error' : 'Invalid Request';
  return { status: 400, statusMessage: 'Bad Request', body: { jsonrpc: '2.0', error: { code, message }, id } };
}

/** Runs one request against the method table; faults become Kamailio-style replies. */
export async function callRpc(request: RpcRequest, methods: ReadonlyMap<string, RpcMethod>): Promise<RpcHttpReply> {
  const id = request.id ?? null;
  const method = methods.get(request.method);
  if (!method) return faultReply(new RpcFault(500, 'Method Not Found'), id);
  try {
    const result: unknown = await method(positionalParams(request.params));
    return { status: 200, statusMessage: 'OK', body: { jsonrpc: '2.0', result, id } };
  } catch (e) {
    if (e instanceof RpcFault) return faultReply(e, id);
    throw e;
  }
}
