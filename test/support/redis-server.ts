/**
 * A private redis-server (Debian package) for cluster tests: started on 127.0.0.1 at a free port
 * without persistence, stopped by its PID. `pause`/`resume` (SIGSTOP/SIGCONT) play a Redis that
 * hangs; `kill` and `restart` one that dies and comes back empty on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { freeLoopbackPort } from './sipp.js';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  pause(): void;
  resume(): void;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
  /** Starts a new, empty redis-server on the same port. */
  restart(): Promise<void>;
  /** SIGTERM (SIGCONT first, in case it is paused) and wait for the exit. */
  stop(): Promise<void>;
}

/** The redis-server executable on PATH, or undefined: suites skip themselves then. */
export function findRedisServer(): string | undefined {
  return (process.env['PATH'] ?? '').split(delimiter).map((dir) => join(dir, 'redis-server')).find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

async function launch(binary: string, port: number): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--daemonize', 'no', '--loglevel', 'warning'];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 10_000;
  // Ready once it answers PING on its port.
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${out}`);
    if (await ping(port)) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on ${port}: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function ping(port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startRedisServer(): Promise<RedisServer> {
  const binary = findRedisServer();
  if (!binary) throw new Error('redis-server is not on PATH (Debian package redis-server)');
  const port = await freeLoopbackPort();
  let child = await launch(binary, port);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid!;
    },
    pause: () => process.kill(child.pid!, 'SIGSTOP'),
    resume: () => process.kill(child.pid!, 'SIGCONT'),
    async kill() {
      const done = exited(child);
      child.kill('SIGKILL');
      await done;
    },
    async restart() {
      child = await launch(binary, port);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = exited(child);
      process.kill(child.pid!, 'SIGCONT');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await done;
      clearTimeout(timer);
    },
  };
}
