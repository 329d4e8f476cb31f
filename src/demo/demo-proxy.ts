/**
 * sipdispatch as the demo runs it: the real program (`runApp`) on 127.0.0.1 with a temporary
 * dispatcher.list of the simulated backends, and timers short enough to see failover in seconds.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../stack/logging.js';
import { runApp, type RunningApp } from '../app/run.js';

export interface DemoProxyOptions {
  /** Backends as duid → UDP port on 127.0.0.1. */
  backends: ReadonlyArray<{ duid: string; port: number }>;
  /** Admin API address, HOST:PORT (port 0: the system picks). */
  http: string;
  logLevel: string;
  logTo: DestinationStream;
}

export interface DemoProxy {
  readonly app: RunningApp;
  /** The SIP UDP port calls go to. */
  readonly sipPort: number;
  /** The list's URI of each backend, by duid. */
  readonly uris: ReadonlyMap<string, string>;
  stop(): Promise<void>;
}

/** Flags 8 = probing, so a backend that stops answering OPTIONS goes IP (Kamailio's dispatcher.list). */
function listText(backends: DemoProxyOptions['backends']): string {
  return backends.map((b) => `1 sip:127.0.0.1:${b.port} 8 0 duid=${b.duid}\n`).join('');
}

export async function startDemoProxy(options: DemoProxyOptions): Promise<DemoProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'sipdispatch-demo-'));
  const list = join(dir, 'dispatcher.list');
  let app: RunningApp;
  try {
    await writeFile(list, listText(options.backends));
    const config = await loadConfig({
      list,
      listen: ['udp:127.0.0.1:0'],
      http: options.http,
      log_level: options.logLevel,
      // a probe every second, down after one missed reply (500 ms), up after one answered
      ds_ping_interval: 1,
      ds_ping_fr_timer: 500,
      ds_probing_threshold: 1,
      ds_inactive_threshold: 1,
      // an INVITE to a silent backend moves on to the next one after 1 s
      fr_timer: 1000,
      routes: [{ set: 1, algorithm: 4 }],
      // the caller has finished when the demo stops: nothing is left to drain
      drain_timeout: 0,
      // a demo at a few calls per second: one thread
      workers: 1,
    });
    app = await runApp(config, createLogger({ level: config.log_level, destination: options.logTo }));
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const udp = app.core.transport.addresses().find((a) => a.transport === 'udp');
  const uris = new Map(options.backends.map((b) => [b.duid, `sip:127.0.0.1:${b.port}`]));
  return {
    app,
    sipPort: udp!.port,
    uris,
    async stop() {
      await app.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
