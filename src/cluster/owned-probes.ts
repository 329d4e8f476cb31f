/**
 * The dispatcher as the prober sees it in a cluster: the same facade, but a round's targets are
 * only the destinations this instance probes now (all of them alone, in `all` mode or in local
 * mode). The others learn the results through the cluster.
 */
import type { Dispatcher } from '../dispatcher/dispatcher.js';
import type { Destination } from '../dispatcher/snapshot.js';

export type ProbedDispatcher = Pick<Dispatcher, 'snapshot' | 'pingActive' | 'probeTargets' | 'recordProbeResult'>;

export class OwnedProbes implements ProbedDispatcher {
  constructor(
    private readonly dispatcher: ProbedDispatcher,
    private readonly owns: (d: Destination) => boolean,
  ) {}

  get snapshot(): Dispatcher['snapshot'] {
    return this.dispatcher.snapshot;
  }

  get pingActive(): boolean {
    return this.dispatcher.pingActive;
  }

  set pingActive(on: boolean) {
    this.dispatcher.pingActive = on;
  }

  probeTargets(): Destination[] {
    return this.dispatcher.probeTargets().filter(this.owns);
  }

  recordProbeResult(...args: Parameters<Dispatcher['recordProbeResult']>): ReturnType<Dispatcher['recordProbeResult']> {
    return this.dispatcher.recordProbeResult(...args);
  }
}
