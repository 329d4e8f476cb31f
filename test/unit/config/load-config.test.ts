import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envOverrides, loadConfig } from '../../../src/config/load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-config-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('loadConfig', () => {
  it('fills the documented defaults', async () => {
    const c = await loadConfig({});
    expect(c.list).toBe('./dispatcher.list');
    expect(c.listenSpecs.map((s) => `${s.transport}:${s.host}:${s.port}`)).toEqual(['udp:0.0.0.0:5060', 'tcp:0.0.0.0:5060']);
    expect(c.httpAddress).toEqual({ host: '127.0.0.1', port: 9060 });
    expect(c.routes).toEqual([
      { match: { method: 'REGISTER' }, set: 1, algorithm: 2, limit: 0, on_deny: 'drop', failover: { on: [408, 500, 502, 503, 504], max_tries: 3 } },
      { match: {}, set: 1, algorithm: 4, limit: 0, on_deny: 'drop', failover: { on: [408, 500, 502, 503, 504], max_tries: 3 } },
    ]);
    expect(c.ds_ping_from).toBe('sip:dispatcher@localhost');
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.routes[0])).toBe(true);
  });

  it('reads YAML and applies precedence flag > env > file', async () => {
    const p = file('prec.yaml', 'list: /from/file\nhttp: 127.0.0.1:9999\nlog_level: debug\nds_ping_interval: 3\n');
    const c = await loadConfig({ config: p, list: '/from/flag' }, { list: '/from/env', http: '127.0.0.1:8888' });
    expect(c.list).toBe('/from/flag');
    expect(c.httpAddress.port).toBe(8888);
    expect(c.log_level).toBe('debug');
    expect(c.ds_ping_interval).toBe(3);
    expect(c.configFile).toBe(p);
  });

  it('reads JSON files too', async () => {
    const p = file('c.json', '{"fr_timer": 2000, "alias": ["sip.example.com"]}');
    const c = await loadConfig({ config: p });
    expect(c.fr_timer).toBe(2000);
    expect(c.alias).toEqual(['sip.example.com']);
  });

  it('names file, line and key for a bad value', async () => {
    const p = file('bad.yaml', 'list: x\n\nds_ping_interval: soon\n');
    await expect(loadConfig({ config: p })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: `${p}:3: ds_ping_interval: must be integer`,
    });
  });

  it('names the line of an unknown key', async () => {
    const p = file('unknown.yaml', 'list: x\nds_ping_intervall: 3\n');
    await expect(loadConfig({ config: p })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: `${p}:2: ds_ping_intervall: unknown key` });
  });

  it('reports YAML syntax errors with a line', async () => {
    const p = file('syntax.yaml', 'list: x\nroutes: [\n');
    await expect(loadConfig({ config: p })).rejects.toMatchObject({ code: 'CONFIG_PARSE' });
    await expect(loadConfig({ config: p })).rejects.toThrow(new RegExp(`^${p}:\\d+: `));
  });

  it('rejects a config that is not a mapping', async () => {
    const p = file('list.yaml', '- a\n- b\n');
    await expect(loadConfig({ config: p })).rejects.toMatchObject({ code: 'CONFIG_PARSE', message: `${p}:1: the config must be a mapping of keys to values` });
  });

  it('reports an unreadable file', async () => {
    await expect(loadConfig({ config: join(dir, 'missing.yaml') })).rejects.toMatchObject({ code: 'CONFIG_READ' });
  });

  it('validates route entries and names the flag origin for bad flags', async () => {
    const p = file('routes.yaml', 'routes:\n  - set: 1\n    algorithm: 99\n');
    await expect(loadConfig({ config: p })).rejects.toThrow(`${p}:3: routes.0.algorithm: must be <= 14`);
    await expect(loadConfig({ listen: ['sctp:1.2.3.4:5'] })).rejects.toThrow('command line: listen "sctp:1.2.3.4:5": expected PROTO:HOST:PORT with PROTO one of udp, tcp, tls, ws, wss');
  });

  it.each([
    { title: 'algorithm 7 without hash_value', route: '  - set: 1\n    algorithm: 7\n', line: 3, want: "algorithm 7 hashes the route's hash_value: set one" },
    { title: 'hash_value on another algorithm', route: '  - set: 1\n    algorithm: 4\n    hash_value: $fU\n', line: 4, want: 'hash_value is read by algorithm 7 only (this route uses 4)' },
    { title: 'an unknown variable', route: '  - set: 1\n    algorithm: 7\n    hash_value: $xx@$fd\n', line: 4, want: 'hash_value "$xx@$fd": unknown variable at "$xx"' },
  ])('rejects $title, naming file and line', async ({ route, line, want }) => {
    const p = file('hash-value.yaml', `routes:\n${route}`);
    await expect(loadConfig({ config: p })).rejects.toThrow(`${p}:${line}: ${want}`);
  });

  it('keeps a valid hash_value on an algorithm 7 route', async () => {
    const p = file('hash-ok.yaml', 'routes:\n  - set: 1\n    algorithm: 7\n    hash_value: "$fU@$fd"\n');
    expect((await loadConfig({ config: p })).routes[0]).toMatchObject({ algorithm: 7, hash_value: '$fU@$fd' });
  });

  it('treats an empty file as all defaults', async () => {
    const c = await loadConfig({ config: file('empty.yaml', '') });
    expect(c.fr_inv_timer).toBe(120000);
  });
});

describe('envOverrides', () => {
  it('maps SIPDISPATCH_* variables, splitting LISTEN on commas', () => {
    expect(envOverrides({ SIPDISPATCH_LISTEN: 'udp:127.0.0.1:5060, tcp:127.0.0.1:5060', SIPDISPATCH_LOG_LEVEL: 'warn', OTHER: 'x' })).toEqual({
      listen: ['udp:127.0.0.1:5060', 'tcp:127.0.0.1:5060'],
      log_level: 'warn',
    });
  });
});
