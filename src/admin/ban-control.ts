/**
 * Edge tables through the admin API. The ipban table, with Kamailio's htable RPC names: `htable.dump ipban`,
 * `htable.delete ipban <ip>`, `htable.flush ipban`; and GET / DELETE /edge/bans over HTTP.
 */
import type { FastifyInstance } from 'fastify';
import { RpcFault, type RpcMethod } from './json-rpc.js';

export interface BanEntry {
  /** The source key: an IPv4 address, or an IPv6 /64. */
  name: string;
  reason: string;
  /** Seconds until the ban lifts. */
  expires: number;
}

export interface BanControl {
  dump(): BanEntry[];
  /** True when a ban was lifted. */
  delete(name: string): boolean;
  /** How many bans were lifted. */
  flush(): number;
}

const TABLE = 'ipban';

function table(params: readonly unknown[]): void {
  if (params[0] !== TABLE) throw new RpcFault(500, `No such htable: ${String(params[0])} (sipdispatch keeps ${TABLE})`);
}

export function htableMethods(bans: BanControl): Array<[string, RpcMethod]> {
  return [
    ['htable.dump', (params) => (table(params), bans.dump())],
    [
      'htable.delete',
      (params) => {
        table(params);
        if (typeof params[1] !== 'string') throw new RpcFault(500, 'Invalid Parameters');
        bans.delete(params[1]);
        return 'Ok.';
      },
    ],
    ['htable.flush', (params) => (table(params), bans.flush(), 'Ok.')],
  ];
}

export function banRoutes(app: FastifyInstance, bans: BanControl): void {
  app.get('/edge/bans', async () => ({ bans: bans.dump() }));
  app.delete<{ Params: { name: string } }>('/edge/bans/:name', async (request, reply) => {
    if (!bans.delete(request.params.name)) return reply.code(404).send({ code: 'EDGE_NOT_BANNED', message: `${request.params.name} is not banned` });
    return { lifted: request.params.name };
  });
  app.delete('/edge/bans', async () => ({ lifted: bans.flush() }));
}

/** The permissions address table through the admin API (Kamailio's permissions RPC names). */
export interface AclControl {
  reload(): Promise<{ ok: true; groups: number } | { ok: false; errors: string[] }>;
  dump(): Array<{ group: string; networks: readonly string[] }>;
}

export function permissionsMethods(acl: AclControl): Array<[string, RpcMethod]> {
  return [
    [
      'permissions.addressReload',
      async () => {
        const r = await acl.reload();
        if (!r.ok) throw new RpcFault(500, `Reload failed: ${r.errors.join('; ')}`);
        return 'Ok.';
      },
    ],
    ['permissions.addressDump', () => acl.dump()],
  ];
}
