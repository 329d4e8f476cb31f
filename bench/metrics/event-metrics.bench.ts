/**
 * What the metrics cost the hot path: one event published with nobody listening, and with the
 * metrics subscribed (a counter increment with labels per event).
 */
import { afterAll, bench, describe } from 'vitest';
import { createMetrics } from '../../src/metrics/create-metrics.js';
import type { Metrics } from '../../src/metrics/create-metrics.js';
import { publish } from '../../src/shared/events.js';

const destinations = Array.from({ length: 20 }, (_, i) => ({ set: '1', uri: `sip:10.0.0.${i}:5060`, up: true, state: 'AP', callLoad: 0 }));
const relayed = { set: '1', uri: 'sip:10.0.0.7:5060', method: 'INVITE', callId: 'a84b4c76e66710@pc33.atlanta.com' };
const received = { method: 'INVITE', transport: 'udp' } as const;

let metrics: Metrics | undefined;

describe('request events', () => {
  bench('publish, nobody listening', () => {
    publish('request.received', received);
    publish('request.relayed', relayed);
  });

  bench(
    'publish, metrics subscribed',
    () => {
      publish('request.received', received);
      publish('request.relayed', relayed);
    },
    {
      setup: () => {
        metrics ??= createMetrics({ destinations: () => destinations, transactionsActive: () => 0, version: 'bench' });
      },
    },
  );
});

afterAll(() => metrics?.close());
