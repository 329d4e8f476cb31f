import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatKamcmd } from '../../../src/admin/kamcmd-format.js';
import type { JsonRpcReply } from '../../../src/admin/kamcmd-format.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/admin/${name}`, import.meta.url), 'utf8');

describe('formatKamcmd', () => {
  it('prints dispatcher.list byte for byte as kamcmd did on Kamailio 5.6.3', () => {
    const reply = JSON.parse(fixture('jsonrpc-dispatcher.list.t7s.json')) as JsonRpcReply;
    expect(formatKamcmd(reply)).toBe(fixture('kamcmd-dispatcher.list.t7s.txt'));
  });

  it('prints a text reply as a bare line', () => {
    expect(formatKamcmd({ result: 'Ok. Dispatcher state updated.' })).toBe('Ok. Dispatcher state updated.\n');
  });

  it('prints a fault as kamcmd does', () => {
    expect(formatKamcmd({ error: { code: 500, message: 'Ongoing reload' } })).toBe('error: 500 - Ongoing reload\n');
  });

  it('prints a flat structure with tabs', () => {
    expect(formatKamcmd({ result: { NewPingState: 0, OldPingState: 1 } })).toBe('{\n\tNewPingState: 0\n\tOldPingState: 1\n}\n');
  });

  it('prints fractions through the 3-decimal fixed point, nulls as <null string>', () => {
    expect(formatKamcmd({ result: { AVG: 83.333328, EST: 0.0004, NAME: null } })).toBe('{\n\tAVG: 83.333000\n\tEST: 0.000000\n\tNAME: <null string>\n}\n');
  });
});
