/**
 * How many threads to run for `workers: N`. More than one needs UDP `reusePort` (Node 22.12+ /
 * 23.1+, on Linux and a few other systems) and a UDP listener to share; otherwise the program
 * runs today's single thread and says why, never failing to start.
 */

export interface ThreadSupport {
  /** supportsUdpReusePort() of this process. */
  readonly reusePort: boolean;
  readonly nodeVersion: string;
  readonly platform: string;
  /** UDP listen specs configured. */
  readonly udpListeners: number;
}

export interface ThreadDecision {
  readonly threads: number;
  /** Why fewer threads run than asked for. */
  readonly warning: string | undefined;
}

export function threadCount(requested: number, support: ThreadSupport): ThreadDecision {
  if (requested <= 1) return { threads: 1, warning: undefined };
  if (!support.reusePort) {
    return {
      threads: 1,
      warning: `workers: ${requested} needs UDP reusePort (Node >= 22.12 or 23.1, on Linux); Node ${support.nodeVersion} on ${support.platform} has none: running 1 thread`,
    };
  }
  if (support.udpListeners === 0) {
    return { threads: 1, warning: `workers: ${requested} shares the UDP listeners and none is configured: running 1 thread` };
  }
  return { threads: requested, warning: undefined };
}
