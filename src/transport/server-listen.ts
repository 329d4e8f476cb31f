/** Opens a stream listener (net, tls, http, https server) on a listen spec; rejects with LISTEN_FAILED naming it. */
import type net from 'node:net';
import type { ListenSpec } from '../shared/addresses.js';
import { listenFailed } from './transport-errors.js';

export function listenServer(server: net.Server, spec: ListenSpec): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => reject(listenFailed(spec, e));
    server.once('error', onError);
    server.listen({ host: spec.host, port: spec.port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
