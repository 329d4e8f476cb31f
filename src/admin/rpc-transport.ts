/**
 * Transport RPCs with Kamailio's names: `tls.reload` (reads the certificate files again; a bad one
 * keeps those in force and answers an error) and `ws.dump` (the open WebSocket connections).
 */
import { RpcFault, type RpcMethod } from './json-rpc.js';

export interface TransportControl {
  /** Resolves with the certificates now in force; rejects with the reason the old ones stay. */
  reloadTls(): Promise<ReadonlyArray<{ serverName: string; subject: string; notAfter: string; fingerprint256: string }>>;
  wsConnections(): readonly unknown[];
}

export function transportMethods(transport: TransportControl): Array<[string, RpcMethod]> {
  return [
    [
      'tls.reload',
      async () => {
        try {
          return { result: 'Ok. TLS configuration reloaded.', certificates: await transport.reloadTls() };
        } catch (e) {
          throw new RpcFault(500, `TLS configuration not reloaded (the old one stays in force): ${(e as Error).message}`);
        }
      },
    ],
    ['ws.dump', () => ({ connections: transport.wsConnections() })],
  ];
}
