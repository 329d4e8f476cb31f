import { afterEach, describe, expect, it } from 'vitest';
import { attachEventLogging, createLogger } from '../../../src/stack/logging.js';
import { publish } from '../../../src/shared/events.js';
import type { Logger } from '../../../src/shared/logger.js';

type Line = Record<string, unknown>;

let detach: (() => void) | undefined;
afterEach(() => {
  detach?.();
  detach = undefined;
});

function capture(): Line[] {
  const lines: Line[] = [];
  const logger: Logger = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s) as Line) } });
  detach = attachEventLogging(logger);
  return lines;
}

const state = { set: '1', uri: 'sip:127.0.0.1:5071', duid: null, state: 'IP', previous: 'AX', up: false, changed: true, initial: false, at: 0 };

describe('overload log lines', () => {
  it('a traffic mark has its own warn line; a probe mark keeps the usual one', () => {
    const lines = capture();
    publish('destination.state', { ...state, code: 408, reason: 'traffic: 5 consecutive timeouts', trigger: 'traffic' });
    publish('destination.state', { ...state, code: 408, reason: 'Request Timeout', trigger: 'probe' });
    expect(lines.map((l) => [l.level, l.msg, l.trigger, l.reason])).toEqual([
      ['warn', 'destination marked down by traffic', 'traffic', 'traffic: 5 consecutive timeouts'],
      ['info', 'destination state changed', 'probe', 'Request Timeout'],
    ]);
  });

  it('a spared destination is logged with why; a mark is not logged twice', () => {
    const lines = capture();
    publish('traffic.mark', { set: '1', uri: 'sip:127.0.0.1:5072', cause: 'timeout', result: 'spared-last-usable', threshold: 5 });
    publish('traffic.mark', { set: '1', uri: 'sip:127.0.0.1:5071', cause: 'timeout', result: 'marked', threshold: 5 });
    expect(lines.map((l) => [l.msg, l.result])).toEqual([['destination spared: traffic may not mark it down', 'spared-last-usable']]);
  });

  it('logs shedding on and off with the readings', () => {
    const lines = capture();
    publish('pressure.changed', { pressured: true, shedding: true, eventLoopDelayMs: 250, udpBacklogBytes: 900_000, udpDrops: 3 });
    publish('pressure.changed', { pressured: false, shedding: false, eventLoopDelayMs: 4, udpBacklogBytes: 0, udpDrops: 3 });
    expect(lines.map((l) => [l.level, l.msg, l.eventLoopDelayMs])).toEqual([
      ['warn', 'overload: shedding new requests with 503', 250],
      ['info', 'overload over', 4],
    ]);
  });
});
