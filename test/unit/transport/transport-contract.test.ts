import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/shared/logger.js';
import { ManualScheduler } from '../../../src/shared/scheduler.js';
import type { TransactionTransport } from '../../../src/transaction/transport.js';
import { TransportManager } from '../../../src/transport/transport-manager.js';

describe('TransportManager as the transaction layer sees it', () => {
  const manager = new TransportManager(
    {
      listen: [],
      advertise: undefined,
      forceRport: true,
        udpBufferSize: 1 << 20,
      maxMessageSize: 65536,
      tcp: { idleTimeoutMs: 1000, maxConnections: 1, maxBufferedBytes: 1024, connectTimeoutMs: 1000, msgReadTimeoutMs: 0, acceptIpLimit: 0, maxQueuedTotal: 0 },
      tls: { certificate: undefined, privateKey: undefined, caList: undefined, serverNames: [], verifyClient: 'off', verifyServer: true, minVersion: 'TLSv1.2', handshakeTimeoutMs: 10_000 },
      websocket: { origins: [], keepaliveIntervalMs: 30_000, keepaliveTimeoutMs: 10_000, headerTimeoutMs: 5_000, maxPerIp: 0 },
    },
    { scheduler: new ManualScheduler(), logger: silentLogger },
  );
  // compile-time check: the manager satisfies src/transaction/transport.ts structurally
  const transport: TransactionTransport = manager;

  it('is reliable over TCP only', () => {
    expect(transport.isReliable({ transport: 'tcp', host: '127.0.0.1', port: 5060 })).toBe(true);
    expect(transport.isReliable({ transport: 'udp', host: '127.0.0.1', port: 5060 })).toBe(false);
  });

  it('refuses to name a local address before it listens', () => {
    expect(() => manager.localAddressFor('udp')).toThrow(/before start/);
  });
});
