import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCli } from '../../../src/cli/cli-args.js';
import { loadConfig } from '../../../src/config/load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-workers-'));

describe('config key workers', () => {
  it('defaults to auto (one thread per core, at most 8)', async () => {
    expect((await loadConfig({})).workers).toBe('auto');
  });

  it('takes auto', async () => {
    expect((await loadConfig({ workers: 'auto' })).workers).toBe('auto');
  });

  it('takes 1 to 64 from the file', async () => {
    const p = join(dir, 'w.yaml');
    writeFileSync(p, 'workers: 64\n');
    expect((await loadConfig({ config: p })).workers).toBe(64);
  });

  it.each([
    [0, 'workers: must be >= 1'],
    [65, 'workers: must be <= 64'],
    [1.5, 'workers: must be integer'],
    [Number.NaN, 'workers: must be integer'],
  ])('refuses %s naming the key', async (n, message) => {
    await expect(loadConfig({ workers: n })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: `command line: ${message}` });
  });
});

describe('--workers N', () => {
  it('becomes the workers key, as a number', () => {
    expect(parseCli(['--workers', '2'])).toEqual({ kind: 'run', flags: { workers: 2 }, check: false });
  });

  it('passes auto as it is', () => {
    expect(parseCli(['--workers', 'auto'])).toEqual({ kind: 'run', flags: { workers: 'auto' }, check: false });
  });

  it('is absent unless given', () => {
    expect(parseCli([])).toEqual({ kind: 'run', flags: {}, check: false });
  });

  it('turns a non-number into a value the config check refuses', async () => {
    const cmd = parseCli(['--workers', 'two']);
    if (cmd.kind !== 'run') throw new Error('expected run');
    await expect(loadConfig(cmd.flags)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: 'command line: workers: must be integer' });
  });
});
