/**
 * HEP export as one piece: the capture (the transports' wire tap) feeding the collector client.
 * One per thread that owns sockets; the main thread's answers `siptrace.status` and metrics.
 */
import type { Logger } from '../shared/logger.js';
import { HepCapture, type HepCaptureOptions } from './hep-capture.js';
import { HepClient, type HepCollector, type HepCounts } from './hep-client.js';

export interface HepExport {
  readonly capture: HepCapture;
  /** Packets sent and dropped (by reason; messages too large for HEP count as `too-large`). */
  counts(): HepCounts & { dropped: HepCounts['dropped'] & { 'too-large': number } };
  close(): void;
}

export type HepExportOptions = HepCaptureOptions & { readonly collector: HepCollector; readonly queueSize: number };

export function startHepExport(options: HepExportOptions, logger: Logger): HepExport {
  const client = new HepClient({ collector: options.collector, queueSize: options.queueSize, logger });
  const capture = new HepCapture(options, client);
  return {
    capture,
    counts: () => ({ sent: client.counts.sent, dropped: { ...client.counts.dropped, 'too-large': capture.unencodable } }),
    close: () => client.close(),
  };
}
