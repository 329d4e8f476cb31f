/**
 * POST /RPC: the JSON-RPC endpoint as a fastify plugin with its own body parsing, so that any
 * content type is read as JSON (`curl -d` sends form-urlencoded, and Kamailio does not care) and
 * a body that is not JSON or not a request gets a JSON-RPC error rather than fastify's.
 */
import type { FastifyError, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../shared/logger.js';
import { INVALID_REQUEST, PARSE_ERROR, callRpc, envelopeErrorReply, rpcRequestSchema } from './json-rpc.js';
import { JsonPieces, jsonReadable } from './json-stream.js';
import type { RpcHttpReply, RpcId, RpcMethod, RpcRequest } from './json-rpc.js';

function send(reply: FastifyReply, out: RpcHttpReply): FastifyReply {
  reply.code(out.status);
  // the status line mirrors the fault, as Kamailio's xhttp does: "HTTP/1.1 500 Method Not Found"
  reply.raw.statusMessage = out.statusMessage;
  const body = out.body;
  // a large result (dispatcher.list) streams, in the envelope's key order
  if ('result' in body && body.result instanceof JsonPieces) {
    const result = body.result;
    return reply.type('application/json; charset=utf-8').send(jsonReadable((function* () {
      yield '{"jsonrpc":"2.0","result":';
      yield* result.pieces();
      yield `,"id":${JSON.stringify(body.id)}}`;
    })()));
  }
  return reply.send(body);
}

/** The request id when the body got far enough to have a valid one. */
function requestId(request: FastifyRequest): RpcId {
  const id: unknown = (request.body as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

export function rpcRoute(methods: ReadonlyMap<string, RpcMethod>, logger: Logger): FastifyPluginCallback {
  return (instance, _options, done) => {
    instance.removeAllContentTypeParsers();
    instance.addContentTypeParser('*', { parseAs: 'string' }, instance.getDefaultJsonParser('error', 'error'));

    instance.setErrorHandler((error: FastifyError, request, reply) => {
      if (error.validation) return send(reply, envelopeErrorReply(INVALID_REQUEST, requestId(request)));
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return send(reply, { ...envelopeErrorReply(INVALID_REQUEST, null), status: 413, statusMessage: 'Payload Too Large' });
      if (error.statusCode !== undefined && error.statusCode < 500) return send(reply, envelopeErrorReply(PARSE_ERROR, null));
      throw error;
    });

    instance.post('/RPC', { schema: { body: rpcRequestSchema } }, async (request, reply) => {
      const body = request.body as RpcRequest;
      const out = await callRpc(body, methods);
      if (out.status >= 500 && 'error' in out.body) logger.debug({ method: body.method, fault: out.body.error.message }, 'rpc fault');
      return send(reply, out);
    });
    done();
  };
}
