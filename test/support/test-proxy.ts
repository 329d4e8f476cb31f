/** Starts the real SIP core (sockets, transactions, relay, dispatcher) on 127.0.0.1 for a test. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/config-types.js';
import { createDispatcher, loadList } from '../../src/stack/create-dispatcher.js';
import { startCore, type AppCore } from '../../src/app/core.js';

export interface TestProxy {
  core: AppCore;
  udpPort: number;
  tcpPort: number;
  listFile: string;
  stop(): Promise<void>;
}

/**
 * A whole app's config for a test on loopback: `listText` written to dispatcher.list in a new
 * temporary directory (`prefix`), UDP and the admin HTTP on free ports, silent, no probes, no
 * drain; `overrides` on top.
 */
export async function loopbackAppConfig(prefix: string, listText: string, overrides: Record<string, unknown>): Promise<{ config: Config; dir: string; listFile: string }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const listFile = join(dir, 'dispatcher.list');
  writeFileSync(listFile, listText);
  const config = await loadConfig({
    list: listFile,
    listen: ['udp:127.0.0.1:0'],
    http: '127.0.0.1:0',
    log_level: 'silent',
    ds_ping_interval: 0,
    drain_timeout: 0,
    ...overrides,
  });
  return { config, dir, listFile };
}

export async function startTestProxy(listText: string, overrides: Record<string, unknown> = {}): Promise<TestProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-proxy-'));
  const listFile = join(dir, 'dispatcher.list');
  writeFileSync(listFile, listText);
  const config = await loadConfig({
    list: listFile,
    listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'],
    log_level: 'silent',
    ds_ping_interval: 0,
    drain_timeout: 0,
    // in process: one thread (the test reads this thread's transactions and metrics directly)
    workers: 1,
    ...overrides,
  });
  const logger = pino({ level: 'silent' });
  const dispatcher = createDispatcher(config);
  await loadList(dispatcher, listFile);
  const core = await startCore(config, logger, dispatcher);
  const bound = core.transport.addresses();
  return {
    core,
    udpPort: bound.find((a) => a.transport === 'udp')?.port ?? 0,
    tcpPort: bound.find((a) => a.transport === 'tcp')?.port ?? 0,
    listFile,
    stop: () => core.stop(),
  };
}
