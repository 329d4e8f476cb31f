/** runApp collects the start-up garbage once, after the list load and before any socket opens. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { runApp } from '../../../src/app/run.js';
import { loadConfig } from '../../../src/config/load-config.js';

describe('start-up collection', () => {
  it('runs once, after the list is loaded and before the sockets listen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-collect-'));
    const list = join(dir, 'dispatcher.list');
    writeFileSync(list, Array.from({ length: 200 }, (_, i) => `${1 + (i % 4)} sip:127.0.${i >> 8}.${i & 255}:5080 0 0 duid=d${i}`).join('\n'));
    const config = await loadConfig({ list, listen: ['udp:127.0.0.1:0'], http: '127.0.0.1:0', ds_ping_interval: 0, drain_timeout: 0, warm_up_calls: 20, workers: 1 });
    const lines: Array<{ msg: string; heapBeforeMb?: number; heapAfterMb?: number }> = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as { msg: string });
        done();
      },
    });
    const app = await runApp(config, pino({ level: 'info' }, out));
    await app.stop();
    const msgs = lines.map((l) => l.msg);
    expect(msgs).toEqual(expect.arrayContaining(['hot path warmed up', 'destination list loaded', 'listening', 'sipdispatch started']));
    const collected = msgs.indexOf('start-up garbage collected');
    expect(msgs.filter((m) => m === 'start-up garbage collected')).toHaveLength(1);
    expect(collected).toBeGreaterThan(msgs.indexOf('hot path warmed up'));
    expect(collected).toBeGreaterThan(msgs.indexOf('destination list loaded'));
    expect(msgs.indexOf('listening')).toBeGreaterThan(collected);
    expect(msgs.indexOf('sipdispatch started')).toBeGreaterThan(collected);
    const line = lines[collected]!;
    expect(line.heapAfterMb).toBeTypeOf('number');
    expect(line.heapBeforeMb).toBeTypeOf('number');
  });
});
