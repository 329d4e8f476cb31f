/** The built CLI as an operator uses it: start-up failures, --check, SIGHUP, and `rpc`. */
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freeLoopbackPort } from '../support/sipp.js';
import { CLI, startSipdispatch, waitFor, type SipdispatchProcess } from '../support/sipdispatch-process.js';

const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-cli-'));
function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}
const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });

describe('sipdispatch CLI', () => {
  const started: SipdispatchProcess[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
  });

  it('--check passes a good list and exits 0', () => {
    const r = run(['--check', '--list', file('good.list', '1 sip:127.0.0.1:5080 8 0 duid=a\n')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/good\.list: ok, 1 sets, 1 destinations/);
  });

  it('--check prints the ds_ping_reply_codes warnings of the config and still exits 0', () => {
    const config = file('codes.yaml', 'ds_ping_reply_codes: "class=3;code=99"\n');
    const r = run(['--check', '--config', config, '--list', file('good2.list', '1 sip:127.0.0.1:5080\n')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('warning: ds_ping_reply_codes: "code=99" ignored (expected code=100..699 or class=1..6)');
  });

  it('--check names file and line of a bad list and exits 1', () => {
    const list = file('bad.list', '# ok\n1 sip:127.0.0.1:5080\n2\n');
    const r = run(['--check', '--list', list]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')[0]).toBe(`${list}:3: bad line: a set id without a destination`);
  });

  it('refuses to start on a bad list with file:line and exit 1, no stack trace', () => {
    const list = file('bad2.list', '1 sip:127.0.0.1:5080\n3\n');
    const r = run(['--list', list, '--listen', 'udp:127.0.0.1:0', '--http', '127.0.0.1:0']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`sipdispatch: ${list}:2: bad line: a set id without a destination\n`);
  });

  it('refuses to start on a port in use with one line and exit 1', async () => {
    const port = await freeLoopbackPort();
    const holder = createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(port, '127.0.0.1', resolve));
    try {
      const r = run(['--list', file('one.list', '1 sip:127.0.0.1:5080\n'), '--listen', `udp:127.0.0.1:${port}`, '--http', '127.0.0.1:0']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^sipdispatch: cannot listen on udp:127\\.0\\.0\\.1:${port}: address already in use\\n$`));
    } finally {
      holder.close();
    }
  });

  it('rejects an unknown flag with one line and exit 1', () => {
    const r = run(['--frobnicate']);
    expect(r.status).toBe(1);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('reloads on SIGHUP and answers rpc like kamcmd', async () => {
    const proxy = await startSipdispatch({ list: '1 sip:127.0.0.1:5080 0 0 duid=a\n' });
    started.push(proxy);
    writeFileSync(join(proxy.dir, 'dispatcher.list'), '1 sip:127.0.0.1:5080 0 0 duid=a\n2 sip:127.0.0.1:5090 0 0 duid=b\n');
    process.kill(proxy.pid, 'SIGHUP');
    await waitFor(async () => ((await proxy.rpc('dispatcher.list')) as { result: { NRSETS: number } }).result.NRSETS === 2, undefined, 10_000, () => proxy.output());

    const http = ['--http', `127.0.0.1:${proxy.httpPort}`];
    const ok = run(['rpc', 'dispatcher.set_state', 'dx', '2', 'sip:127.0.0.1:5090', ...http]);
    expect([ok.status, ok.stdout]).toEqual([0, 'Ok. Dispatcher state updated.\n']);
    const fault = run(['rpc', 'dispatcher.set_state', 'a', '2', 'sip:127.0.0.1:9999', ...http]);
    expect([fault.status, fault.stdout]).toEqual([1, 'error: 500 - State Update Failed\n']);
    const list = run(['rpc', 'dispatcher.list', ...http]);
    expect(list.stdout).toMatch(/^\{\n\tNRSETS: 2\n\tRECORDS: \{\n\t\tSET: \{\n\t\t\tID: 1\n/);
    expect(list.stdout).toMatch(/URI: sip:127\.0\.0\.1:5090\n\t+FLAGS: DX\n/);
  });

  it('exits 0 after SIGTERM', async () => {
    const proxy = await startSipdispatch({ list: '1 sip:127.0.0.1:5080\n' });
    expect(await proxy.stop()).toBe(0);
  });

  it('prints its version and usage', () => {
    expect(run(['--version']).stdout).toMatch(/^sipdispatch \d+\.\d+\.\d+\n$/);
    const help = spawn(process.execPath, [CLI, '--help']);
    let out = '';
    help.stdout.on('data', (d: Buffer) => (out += d.toString()));
    return new Promise<void>((resolve) =>
      help.on('exit', (code) => {
        expect(code).toBe(0);
        expect(out).toMatch(/sipdispatch rpc METHOD/);
        resolve();
      }),
    );
  });
});
