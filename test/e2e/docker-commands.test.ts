/**
 * No Docker engine runs here, so the image's commands are run as written, outside Docker, against
 * the built app: the CMD starts (its list path swapped for a temporary file, its addresses moved to
 * loopback through the environment), the HEALTHCHECK command passes, SIGTERM exits 0.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freeLoopbackPort } from '../support/sipp.js';
import { waitFor } from '../support/sipdispatch-process.js';
import { AUTO_MAX_THREADS } from '../../src/threads/thread-count.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The JSON array of an exec-form instruction (`CMD [...]`, `HEALTHCHECK ... CMD [...]`). */
function execForm(instruction: string): string[] {
  const text = readFileSync(join(root, 'Dockerfile'), 'utf8').replace(/\\\r?\n/g, ' ');
  const line = text.split('\n').find((l) => l.startsWith(`${instruction} `))!;
  return JSON.parse(line.slice(line.indexOf('CMD [') + 4)) as string[];
}

describe('the Dockerfile commands, run outside Docker', () => {
  it('CMD serves, HEALTHCHECK passes, SIGTERM exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-docker-'));
    const list = join(dir, 'dispatcher.list');
    writeFileSync(list, '1 sip:127.0.0.1:9 8 0 duid=fs1\n');
    const [sip, http] = [await freeLoopbackPort(), await freeLoopbackPort()];
    const env = { ...process.env, SIPDISPATCH_LISTEN: `udp:127.0.0.1:${sip},tcp:127.0.0.1:${sip}`, SIPDISPATCH_HTTP: `127.0.0.1:${http}` };

    const [cmd, ...args] = execForm('CMD').map((a) => (a === '/etc/sipdispatch/dispatcher.list' ? list : a));
    expect(cmd).toBe('node');
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => out.includes('"msg":"sipdispatch started"'), child, 10_000, () => out);
      // the default, workers: auto, runs a thread per core (at most 8); one core runs one thread
      const threads = Math.min(availableParallelism(), AUTO_MAX_THREADS);
      if (threads > 1) expect(out).toContain(`"threads":${threads},"msg":"relay worker threads started"`);
      else expect(out).not.toContain('relay worker threads started');
      const [hcCmd, ...hcArgs] = execForm('HEALTHCHECK');
      expect(hcCmd).toBe('node');
      const hc = spawnSync(process.execPath, hcArgs, { cwd: root, env, encoding: 'utf8', timeout: 10_000 });
      expect(hc.status, hc.stdout + hc.stderr).toBe(0);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
