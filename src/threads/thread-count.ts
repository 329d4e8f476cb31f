/**
 * How many threads to run for `workers: N`. More than one reads the main thread's UDP sockets
 * from every thread, which needs their descriptors from Linux's /proc (transport/socket-fd.ts),
 * and a UDP listener to share; otherwise the program runs one thread and says why, never failing
 * to start.
 */

/** `workers: auto` runs one thread per core, at most this many (Kamailio's default is 8 children). */
export const AUTO_MAX_THREADS = 8;

export interface ThreadSupport {
  /** os.availableParallelism(): what `auto` counts. */
  readonly cores: number;
  /** canShareUdpSockets() of this process. */
  readonly sharedSockets: boolean;
  readonly platform: string;
  /** UDP listen specs configured. */
  readonly udpListeners: number;
}

export interface ThreadDecision {
  readonly threads: number;
  /** Why fewer threads run than asked for. */
  readonly warning: string | undefined;
}

export function threadCount(asked: number | 'auto', support: ThreadSupport): ThreadDecision {
  const auto = asked === 'auto';
  const requested = auto ? Math.min(Math.max(1, support.cores), AUTO_MAX_THREADS) : asked;
  if (requested <= 1) return { threads: 1, warning: undefined };
  // auto asks for nothing in particular: where threads cannot share the sockets, one runs silently
  if (auto && (!support.sharedSockets || support.udpListeners === 0)) return { threads: 1, warning: undefined };
  if (!support.sharedSockets) {
    return {
      threads: 1,
      warning: `workers: ${requested} shares the UDP sockets between threads through /proc (Linux); ${support.platform} has none: running 1 thread`,
    };
  }
  if (support.udpListeners === 0) {
    return { threads: 1, warning: `workers: ${requested} shares the UDP listeners and none is configured: running 1 thread` };
  }
  return { threads: requested, warning: undefined };
}
