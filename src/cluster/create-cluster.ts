/**
 * The cluster node the config asks for: on Redis when `cluster.redis` is set, else on a private
 * in-memory hub where the instance is its only member (single instance, as without a cluster).
 */
import { hostname } from 'node:os';
import type { Scheduler } from '../shared/scheduler.js';
import { ClusterNode, type ClusterNodeDeps, type ClusterNodeOptions } from './cluster-node.js';
import { MemoryBackend, MemoryHub } from './memory-backend.js';
import { RedisBackend, type RedisBackendOptions } from './redis-backend.js';

export interface ClusterOptions extends Omit<ClusterNodeOptions, 'id'> {
  /** This instance's id; hostname:pid when not configured. */
  readonly id: string | undefined;
  /** Redis; undefined = single instance. */
  readonly redis: RedisBackendOptions | undefined;
}

/** Builds (does not start) the node. */
export function createClusterNode(options: ClusterOptions, deps: Omit<ClusterNodeDeps, 'backend'> & { scheduler: Scheduler }): ClusterNode {
  const backend = options.redis ? new RedisBackend(options.redis) : new MemoryBackend(new MemoryHub(deps.scheduler.now));
  return new ClusterNode({ ...options, id: options.id ?? `${hostname()}:${process.pid}` }, { ...deps, backend });
}
