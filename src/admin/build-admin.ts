/**
 * The admin API factory: a fastify instance that does not listen, built from what the app passes
 * in, so it is tested with `inject` and wired by the app without knowing how things are built.
 */
import Fastify from 'fastify';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Dispatcher } from '../dispatcher/dispatcher.js';
import type { Logger } from '../shared/logger.js';
import { systemScheduler } from '../shared/scheduler.js';
import { bearerChecker } from './bearer-auth.js';
import { registerHttpRoutes, sendError } from './http-routes.js';
import { ReloadGate } from './reload-gate.js';
import type { ListBlocks } from './rpc-list.js';
import { rpcMethods } from './rpc-methods.js';
import type { PingSwitch, ReloadOutcome } from './rpc-methods.js';
import { rpcRoute } from './rpc-route.js';
import { siptraceStatusMethod } from './rpc-siptrace.js';
import { transportMethods, type TransportControl } from './rpc-transport.js';
import { banRoutes, htableMethods, permissionsMethods, type AclControl, type BanControl } from './ban-control.js';
import { clusterListNodesMethod, type ClusterControl } from './rpc-cluster.js';

export interface AdminDeps {
  dispatcher: Dispatcher;
  /** Re-reads the list file and hands it to the dispatcher; `reset` drops carried state. */
  reload(options: { reset: boolean }): Promise<ReloadOutcome>;
  /** dispatcher.ping_active; the dispatcher's own switch by default. */
  pingActive?: PingSwitch;
  /** The Prometheus exposition and its content type. */
  metrics(): Promise<string>;
  metricsContentType: string;
  /** The app's part of readiness (SIP listeners open). */
  ready(): boolean;
  /** When set, every endpoint but /health wants `Authorization: Bearer <token>`. */
  token?: string;
  logger: Logger;
  /** Which optional blocks dispatcher.list shows (ds_ping_latency_stats, call-load dispatching). */
  listBlocks: ListBlocks;
  /** Kamailio's reload_delta for the RPC reload, add and remove (default 5000 ms; 0 disables). */
  reloadDeltaMs?: number;
  /** Share the app's gate so SIGHUP reloads queue with the API's (one is made otherwise). */
  reloadGate?: ReloadGate;
  /** Monotonic ms for reload_delta (default the system scheduler's clock). */
  now?: () => number;
  /** HEP capture switch for RPC siptrace.status; absent = capture not configured. */
  siptrace?: PingSwitch;
  /** The edge's ipban table (htable.* RPC, /edge/bans). */
  bans?: BanControl;
  /** The permissions address table (permissions.addressReload, permissions.addressDump). */
  acl?: AclControl;
  /** TLS certificates and WebSocket connections (tls.reload, ws.dump). */
  transport?: TransportControl;
  /** The cluster (cluster.list_nodes, /health); absent in tests that build the admin alone. */
  cluster?: ClusterControl;
}

function addAuth(app: FastifyInstance, token: string): void {
  const check = bearerChecker(token);
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url === '/health' || check(request.headers.authorization)) return;
    reply.header('www-authenticate', 'Bearer');
    return sendError(reply, 401, 'RPC_UNAUTHORIZED', 'a valid bearer token is required');
  });
}

function addErrorHandling(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) return sendError(reply, 400, 'RPC_INVALID_PARAMS', error.message);
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return sendError(reply, error.statusCode, 'ADMIN_BAD_BODY', error.message);
    }
    logger.error({ err: error, method: request.method, url: request.url }, 'admin API failure');
    return sendError(reply, 500, 'ADMIN_INTERNAL', 'internal error');
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, 'ADMIN_NOT_FOUND', `no endpoint ${request.method} ${request.url}`));
}

/** JSON bodies as usual, except that an empty body is no body (`curl -X POST -H 'content-type: application/json'`). */
function allowEmptyJson(app: FastifyInstance): void {
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else json(request, body as string, done);
  });
}

/** Builds the admin API; the caller listens (`app.listen({ host, port })`) or injects. */
export function buildAdmin(deps: AdminDeps): FastifyInstance {
  const app = Fastify({ logger: false, ajv: { customOptions: { coerceTypes: false, removeAdditional: false } } });
  const gate = deps.reloadGate ?? new ReloadGate(deps.now ?? systemScheduler.now, deps.reloadDeltaMs ?? 5000);
  const { dispatcher } = deps;
  const pingActive = deps.pingActive ?? {
    get: () => dispatcher.pingActive,
    set: (on: boolean) => {
      dispatcher.pingActive = on;
    },
  };
  if (deps.token !== undefined && deps.token !== '') addAuth(app, deps.token);
  addErrorHandling(app, deps.logger);
  allowEmptyJson(app);
  registerHttpRoutes(app, { ...deps, dispatcher, gate, pingActive });
  const methods = new Map(rpcMethods({ dispatcher, gate, pingActive, reload: deps.reload, listBlocks: deps.listBlocks }));
  if (deps.siptrace) methods.set('siptrace.status', siptraceStatusMethod(deps.siptrace));
  if (deps.bans) {
    for (const [name, method] of htableMethods(deps.bans)) methods.set(name, method);
    banRoutes(app, deps.bans);
  }
  if (deps.acl) for (const [name, method] of permissionsMethods(deps.acl)) methods.set(name, method);
  if (deps.transport) for (const [name, method] of transportMethods(deps.transport)) methods.set(name, method);
  if (deps.cluster) methods.set('cluster.list_nodes', clusterListNodesMethod(deps.cluster));
  void app.register(rpcRoute(methods, deps.logger));
  return app;
}
