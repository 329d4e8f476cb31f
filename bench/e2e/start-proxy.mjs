// The proxies under test, started for one step on loopback ports: sipdispatch (the compiled CLI)
// or Kamailio 5.6 with kamailio.cfg beside this file. Both relay to the same dispatcher.list.
import { createSocket } from 'node:dgram';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processTree } from './proc-stats.mjs';
import { spawnTracked, stopTracked } from './tracked-processes.mjs';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** Where `npm run build` puts the CLI; --sipdispatch-cli points elsewhere (another checkout). */
export const defaultSipdispatchCli = join(repoRoot, 'dist/cli/cli.js');
const kamailioCfg = fileURLToPath(new URL('kamailio.cfg', import.meta.url));
const READY_TIMEOUT_MS = 10_000;
const PING_EVERY_MS = 200;

/**
 * An executable on PATH or in one of extraDirs (kamailio lives in /usr/sbin).
 * @param {string} name @param {readonly string[]} extraDirs
 */
export function findExecutable(name, extraDirs = []) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Kamailio with 2 children and -m 1024 -M 16 (less shared memory runs out of transactions near
 * 1,000 calls/s); its pid file, runtime dir and ctl socket stay in dir.
 * `hep` (HOST:PORT) turns on siptrace toward that HEP collector.
 * @param {{ kamailio: string, port: number, listFile: string, dir: string, hep?: string }} o
 */
export async function startKamailio(o) {
  const args = [
    '-f', kamailioCfg, '-DD', '-E', '-m', '1024', '-M', '16',
    '-Y', o.dir, '-P', join(o.dir, 'kamailio.pid'), '-w', o.dir,
    '-l', `udp:127.0.0.1:${o.port}`, '-l', `tcp:127.0.0.1:${o.port}`,
    '-A', `DS_LIST="${o.listFile}"`, '-A', `CTL_SOCKET="unix:${join(o.dir, 'kamailio_ctl')}"`,
    ...(o.hep ? ['-A', `HEP_URI="sip:${o.hep}"`] : []),
  ];
  const logFile = join(o.dir, 'kamailio.log');
  return whenAnswering(spawnTracked(o.kamailio, args, { cwd: o.dir, logFile }), o.port, logFile);
}

/**
 * The node flags the CLI's `#!/usr/bin/env -S node …` line asks for (none if it has another
 * shebang): the proxy runs as installed, whichever build --sipdispatch-cli names.
 * @param {string} cli
 */
export function shebangNodeArgs(cli) {
  const first = readFileSync(cli, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node((?: --\S+)*)$/.exec(first);
  return m ? (m[1] ?? '').trim().split(' ').filter(Boolean) : [];
}

/**
 * The sipdispatch CLI on node (this one unless `node` says which), with its admin API on
 * httpPort; nodeArgs go before the CLI, cliArgs after its own flags. Waits for /ready as well
 * (its destinations up) but goes on, saying so, if that never comes.
 * @param {{ node?: string, nodeArgs?: readonly string[], cli: string, cliArgs?: readonly string[], port: number, httpPort: number,
 *   listFile: string, configFile?: string, dir: string }} o
 */
export async function startSipdispatch(o) {
  const args = [
    ...(o.nodeArgs ?? []), o.cli, '--list', o.listFile,
    '--listen', `udp:127.0.0.1:${o.port}`, '--listen', `tcp:127.0.0.1:${o.port}`,
    '--http', `127.0.0.1:${o.httpPort}`, '--log-level', 'warn',
    ...(o.configFile ? ['--config', o.configFile] : []),
    ...(o.cliArgs ?? []),
  ];
  const logFile = join(o.dir, 'sipdispatch.log');
  const proxy = await whenAnswering(spawnTracked(o.node ?? process.execPath, args, { cwd: repoRoot, logFile }), o.port, logFile);
  if (!(await becomesReady(o.httpPort))) console.warn(`  sipdispatch: GET /ready never answered 200 within ${READY_TIMEOUT_MS} ms; going on`);
  return proxy;
}

/**
 * Resolves with the proxy once it answers an OPTIONS addressed to itself; stops it and throws
 * if it exits or stays silent. Its child processes are tracked too, for CPU, memory and stop.
 * @param {import('./tracked-processes.mjs').Tracked} proxy @param {number} port @param {string} logFile
 */
async function whenAnswering(proxy, port, logFile) {
  try {
    await waitForSipAnswer(port, proxy.exited);
  } catch (error) {
    proxy.adopt(processTree(proxy.pid));
    await stopTracked(proxy);
    throw new Error(`${error instanceof Error ? error.message : String(error)} (see ${logFile})`);
  }
  proxy.adopt(processTree(proxy.pid));
  return proxy;
}

/**
 * Sends `OPTIONS sip:127.0.0.1:port` (no user part: the proxy answers it itself) every 200 ms
 * until a 200 comes back, the process exits, or READY_TIMEOUT_MS passes.
 * @param {number} port @param {Promise<unknown>} exited
 */
function waitForSipAnswer(port, exited) {
  const socket = createSocket('udp4');
  const callId = `bench-ready-${process.pid}-${port}`;
  let cseq = 0;
  let done = false;
  return new Promise((resolve, reject) => {
    const finish = (/** @type {Error | undefined} */ error) => {
      if (done) return;
      done = true;
      clearInterval(pinger);
      clearTimeout(timeout);
      socket.close();
      if (error) reject(error);
      else resolve(undefined);
    };
    const ping = () => {
      const { port: local } = socket.address();
      cseq++;
      const request = [
        `OPTIONS sip:127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-${callId}-${cseq};rport`,
        'Max-Forwards: 70',
        'From: <sip:bench@127.0.0.1>;tag=bench',
        `To: <sip:127.0.0.1:${port}>`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} OPTIONS`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(request, port, '127.0.0.1');
    };
    socket.on('message', (message) => {
      const text = message.toString('latin1');
      if (text.startsWith('SIP/2.0 200 ') && text.includes(callId)) finish(undefined);
    });
    socket.on('error', () => {}); // ICMP port unreachable until the proxy listens
    const pinger = setInterval(ping, PING_EVERY_MS);
    const timeout = setTimeout(() => finish(new Error(`no 200 to OPTIONS from 127.0.0.1:${port} within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    exited.then(() => finish(new Error(`the proxy on port ${port} exited during startup`)));
    socket.bind(0, '127.0.0.1', ping);
  });
}

/** @param {number} httpPort */
async function becomesReady(httpPort) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const status = await fetch(`http://127.0.0.1:${httpPort}/ready`, { signal: AbortSignal.timeout(1_000) }).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return true;
    await new Promise((resolve) => setTimeout(resolve, PING_EVERY_MS));
  }
  return false;
}
