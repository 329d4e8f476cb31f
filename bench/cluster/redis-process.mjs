// A private redis-server on a free loopback port for the cluster benches, tracked (stopped by PID
// at exit); no persistence. Resolves once it answers PING.
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../e2e/free-ports.mjs';
import { findExecutable } from '../e2e/start-proxy.mjs';
import { spawnTracked } from '../e2e/tracked-processes.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** @param {number} port */
function answersPing(port) {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => resolve(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      s.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
  });
}

/**
 * @param {string} dir where its log goes
 * @param {Set<number>} taken ports already handed out
 */
export async function startRedis(dir, taken) {
  const redisServer = findExecutable('redis-server');
  if (!redisServer) throw new Error('redis-server is not on PATH (Debian package redis-server)');
  const port = await freePort(taken);
  const redis = spawnTracked(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { cwd: dir, logFile: join(dir, 'redis.log') });
  for (let i = 0; i < 200; i++) {
    if (await answersPing(port)) return { redis, port, url: `redis://127.0.0.1:${port}` };
    await sleep(25);
  }
  throw new Error('redis-server did not answer');
}
