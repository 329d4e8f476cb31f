/**
 * The cluster as the admin API shows it: RPC `cluster.list_nodes` (every live instance, like
 * OpenSIPS's clusterer_list) and the summary /health carries. The app passes the status function.
 */
import type { RpcMethod } from './json-rpc.js';

export interface ClusterMemberView {
  readonly id: string;
  readonly sip: readonly string[];
  readonly http: string;
  readonly digest: string;
  readonly startedAt: number;
  readonly self: boolean;
}

export interface ClusterStatusView {
  readonly id: string;
  readonly probing: string;
  readonly effective: string;
  readonly connected: boolean;
  readonly leader: string | undefined;
  readonly digest: string;
  readonly listMismatch: boolean;
  readonly members: readonly ClusterMemberView[];
}

export interface ClusterControl {
  status(): ClusterStatusView;
}

export function clusterListNodesMethod(cluster: ClusterControl): RpcMethod {
  return () => {
    const s = cluster.status();
    return {
      NODE_ID: s.id,
      PROBING: s.probing,
      EFFECTIVE: s.effective,
      CONNECTED: s.connected ? 1 : 0,
      ...(s.leader !== undefined && { LEADER: s.leader }),
      NODES: s.members.map((m) => ({ ID: m.id, SELF: m.self ? 1 : 0, SIP: m.sip, HTTP: m.http, LIST_DIGEST: m.digest, STARTED: new Date(m.startedAt).toISOString() })),
    };
  };
}

/** What /health says of the cluster: liveness stays ok, a list mismatch is shown, not fatal. */
export function clusterHealth(cluster: ClusterControl): Record<string, unknown> {
  const s = cluster.status();
  return { id: s.id, connected: s.connected, probing: s.effective, members: s.members.length, digest: s.digest, listMismatch: s.listMismatch };
}
