/** runApp logs what config/resolve.ts found wrong but not fatal, before anything else starts. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { runApp } from '../../../src/app/run.js';
import { loadConfig } from '../../../src/config/load-config.js';

describe('start-up warnings', () => {
  it('logs each ignored ds_ping_reply_codes entry once, at warn', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-warnings-'));
    const list = join(dir, 'dispatcher.list');
    writeFileSync(list, '1 sip:127.0.0.1:5080\n');
    const config = await loadConfig({ list, listen: ['udp:127.0.0.1:0'], http: '127.0.0.1:0', ds_ping_interval: 0, drain_timeout: 0, ds_ping_reply_codes: 'code=486;bogus', workers: 1 });
    const lines: Array<{ level: string; msg: string }> = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as { level: string; msg: string });
        done();
      },
    });
    const app = await runApp(config, pino({ level: 'warn', formatters: { level: (label) => ({ level: label }) } }, out));
    await app.stop();
    expect(lines.filter((l) => l.msg.startsWith('ds_ping_reply_codes'))).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'ds_ping_reply_codes: "bogus" ignored (expected code=100..699 or class=1..6)' }),
    ]);
  });
});
