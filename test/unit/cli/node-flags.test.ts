import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** The node flags of the CLI's `#!/usr/bin/env -S node …` line: the one place they are chosen. */
function shebangFlags(): string[] {
  const first = read('src/cli/cli.ts').split('\n')[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node((?: --\S+)*)$/.exec(first);
  expect(m, first).not.toBeNull();
  return m![1]!.trim().split(' ').filter(Boolean);
}

/** Flags between `node` and `dist/cli/cli.js` in a command. */
function flagsBeforeCli(words: readonly string[]): string[] {
  const node = words.indexOf('node');
  const cli = words.indexOf('dist/cli/cli.js');
  expect(node, words.join(' ')).toBeGreaterThanOrEqual(0);
  expect(cli, words.join(' ')).toBeGreaterThan(node);
  return words.slice(node + 1, cli);
}

describe('node flags of the running proxy', () => {
  const flags = shebangFlags();

  it('the shebang sets a small young generation', () => {
    expect(flags).toContain('--max-semi-space-size=4');
  });

  it('the shebang leaves the old generation\'s growth to heap_growth, switched at run time', () => {
    expect(flags.some((f) => f.startsWith('--heap-growing-percent'))).toBe(false);
  });

  it('the Dockerfile CMD passes the same flags', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(read('Dockerfile'));
    expect(cmd).not.toBeNull();
    expect(flagsBeforeCli(JSON.parse(cmd![1]!) as string[])).toEqual(flags);
  });

  it('npm start passes the same flags', () => {
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts['start'] ?? '';
    expect(flagsBeforeCli(start.split(/\s+/))).toEqual(flags);
  });

  it('this node accepts them through env -S, as the shebang runs them', () => {
    const r = spawnSync('/usr/bin/env', ['-S', `${process.execPath} ${flags.join(' ')} -p 6*7`], { encoding: 'utf8', timeout: 10_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('42\n');
  });
});
