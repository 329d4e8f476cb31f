import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../../src/config/config-schema.js';
import { ERROR_CODES } from '../../../src/shared/errors.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('shows the two set-up commands first', () => {
    const quick = readme.slice(readme.indexOf('## Quick start'));
    expect(quick).toMatch(/npm install && npm start/);
    expect(quick).toMatch(/\nnpm test\s/);
  });

  it('documents every error code with its meaning, in the error table', () => {
    const table = readme.slice(readme.indexOf('<!-- error-codes:start -->'), readme.indexOf('<!-- error-codes:end -->'));
    const missing = Object.entries(ERROR_CODES)
      .filter(([code, meaning]) => !table.includes(`| \`${code}\` | ${meaning} |`))
      .map(([code]) => code);
    expect(missing).toEqual([]);
    const documented = [...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.filter((c) => !(c! in ERROR_CODES))).toEqual([]);
  });

  it('documents every config key in the configuration reference', () => {
    const reference = readme.slice(readme.indexOf('## Configuration reference'), readme.indexOf('### The routes table'));
    expect(CONFIG_KEYS.filter((k) => !reference.includes(`\`${k}\``))).toEqual([]);
  });
});
