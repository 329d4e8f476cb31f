/**
 * The plain HTTP endpoints of the admin API (product.md): reload with its diff, the list,
 * set-state, the probing switch, metrics, liveness and readiness. Bodies are checked by JSON
 * schemas; a caller mistake gets a 4xx `{error: {code, message}}` with a code of shared/errors.ts.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { DestinationRef, Dispatcher, StateTarget } from '../dispatcher/dispatcher.js';
import type { LazySetView } from '../dispatcher/dispatcher-view.js';
import type { ErrorCode } from '../shared/errors.js';
import { arrayPieces, indices, jsonArray, jsonReadable } from './json-stream.js';
import type { ReloadGate } from './reload-gate.js';
import type { PingSwitch, ReloadOutcome } from './rpc-methods.js';
import { clusterHealth, type ClusterControl } from './rpc-cluster.js';

export interface HttpContext {
  dispatcher: Dispatcher;
  gate: ReloadGate;
  reload(options: { reset: boolean }): Promise<ReloadOutcome>;
  pingActive: PingSwitch;
  metrics(): Promise<string>;
  metricsContentType: string;
  /** The app's part of readiness: listeners open. */
  ready(): boolean;
  cluster?: ClusterControl;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; errors?: readonly string[] };
}

export function sendError(reply: FastifyReply, status: number, code: ErrorCode, message: string, errors?: readonly string[]): FastifyReply {
  const body: ErrorBody = { error: errors ? { code, message, errors } : { code, message } };
  return reply.code(status).send(body);
}

const reloadSchema = {
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { reset: { enum: ['0', '1', 'true', 'false'] } },
  },
} as const;

const stateSchema = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['set', 'state'],
    properties: {
      set: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^[0-9]{1,10}$' }] },
      uri: { type: 'string', minLength: 1 },
      duid: { type: 'string', minLength: 1 },
      all: { const: true },
      state: { type: 'string', pattern: '^[aitdAITD][pP]?$' },
    },
    oneOf: [{ required: ['uri'] }, { required: ['duid'] }, { required: ['all'] }],
  },
} as const;

const pingSchema = {
  body: {
    type: 'object',
    additionalProperties: false,
    properties: { active: { type: 'boolean' } },
  },
} as const;

interface StateBody {
  set: number | string;
  uri?: string;
  duid?: string;
  all?: true;
  state: string;
}

const refJson = (r: DestinationRef) => ({ set: r.setId, uri: r.uri });

/** `uri: "all"` is Kamailio's address for the whole set. */
function stateTarget(body: StateBody): StateTarget {
  if (body.all || body.uri === 'all') return 'all';
  return body.uri !== undefined ? { uri: body.uri } : { duid: body.duid ?? '' };
}

const JSON_TYPE = 'application/json; charset=utf-8';

function* reloadPieces(added: readonly DestinationRef[], removed: readonly DestinationRef[], kept: readonly DestinationRef[], warnings: readonly string[]): Generator<string> {
  yield '{"added":';
  yield* jsonArray(added, refJson);
  yield ',"removed":';
  yield* jsonArray(removed, refJson);
  yield ',"kept":';
  yield* jsonArray(kept, refJson);
  yield ',"warnings":';
  yield* jsonArray(warnings);
  yield '}';
}

/** GET /dispatcher's body: what `{ pingActive, sets: dispatcher.list() }` serialises to, in pieces. */
function* dispatcherPieces(pingActive: boolean, sets: readonly LazySetView[]): Generator<string> {
  yield `{"pingActive":${JSON.stringify(pingActive)},"sets":`;
  yield* arrayPieces(sets, function* (set) {
    yield `{"id":${set.id},"destinations":`;
    yield* jsonArray(indices(set.size), (i) => set.view(i));
    yield '}';
  });
  yield '}';
}

function reloadRoute(app: FastifyInstance, ctx: HttpContext): void {
  app.post('/reload', { schema: reloadSchema }, async (request, reply) => {
    const { reset } = request.query as { reset?: string };
    const outcome = await ctx.gate.run(() => ctx.reload({ reset: reset === '1' || reset === 'true' }));
    if (!outcome.ok) return sendError(reply, 409, outcome.code, 'the list was not reloaded; the previous list stays in force', outcome.errors);
    const { added, removed, kept, warnings } = outcome.report;
    // a list of 50,000 gives a diff of 100,000 entries: streamed in pieces
    return reply.type(JSON_TYPE).send(jsonReadable(reloadPieces(added, removed, kept, warnings)));
  });
}

function dispatcherRoutes(app: FastifyInstance, ctx: HttpContext): void {
  // streamed: one destination per piece, however large the list
  app.get('/dispatcher', async (_request, reply) => reply.type(JSON_TYPE).send(jsonReadable(dispatcherPieces(ctx.pingActive.get(), ctx.dispatcher.lazyList()))));

  app.post('/dispatcher/state', { schema: stateSchema }, async (request, reply) => {
    const body = request.body as StateBody;
    const set = Number(body.set);
    const result = ctx.dispatcher.setState(set, stateTarget(body), body.state);
    if (!result.ok) {
      const status = result.error.code === 'RPC_STATE_UPDATE_FAILED' ? 404 : 400;
      return sendError(reply, status, result.error.code, result.error.message);
    }
    return { updated: result.value, set: ctx.dispatcher.list().find((s) => s.id === set) };
  });

  app.post('/dispatcher/ping', {
    schema: pingSchema,
    // an empty POST reads the switch
    preValidation: async (request) => {
      request.body ??= {};
    },
  }, async (request) => {
    const { active } = request.body as { active?: boolean };
    const previous = ctx.pingActive.get();
    if (active === undefined) return { active: previous };
    ctx.pingActive.set(active);
    return { active, previous };
  });
}

function probeRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/metrics', async (_request, reply) => reply.type(ctx.metricsContentType).send(await ctx.metrics()));

  app.get('/health', async () => (ctx.cluster ? { status: 'ok', cluster: clusterHealth(ctx.cluster) } : { status: 'ok' }));

  app.get('/ready', async (_request, reply) => {
    const { sets, up } = ctx.dispatcher.counts();
    const status = { listening: ctx.ready(), loaded: sets > 0, destinationsUp: up };
    const ready = status.listening && status.loaded && up > 0;
    return reply.code(ready ? 200 : 503).send({ ready, ...status });
  });
}

export function registerHttpRoutes(app: FastifyInstance, ctx: HttpContext): void {
  reloadRoute(app, ctx);
  dispatcherRoutes(app, ctx);
  probeRoutes(app, ctx);
}
