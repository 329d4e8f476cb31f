/** HEP export counters, read at scrape time from the capture's own counts. */
import { Counter, type Registry } from 'prom-client';

export interface HepCountsView {
  sent: number;
  dropped: Readonly<Record<string, number>>;
}

export const HEP_DROP_REASONS = ['queue-full', 'not-connected', 'send-error', 'too-large'] as const;

export function defineHepMetrics(registers: Registry[], counts: () => HepCountsView | undefined): void {
  new Counter({
    name: 'sipdispatch_hep_packets_sent_total',
    help: 'HEP v3 packets written to the collector socket (siptrace).',
    registers,
    collect() {
      this.reset();
      this.inc(counts()?.sent ?? 0);
    },
  });
  new Counter({
    name: 'sipdispatch_hep_packets_dropped_total',
    help: 'Captured SIP messages not sent to the HEP collector, by reason (queue-full, not-connected, send-error, too-large).',
    labelNames: ['reason'] as const,
    registers,
    collect() {
      this.reset();
      const c = counts();
      for (const reason of HEP_DROP_REASONS) this.inc({ reason }, c?.dropped[reason] ?? 0);
    },
  });
}
