import { describe, expect, it } from 'vitest';
import { flagsToState, parseSetState, stateLetters, stateToFlags } from '../../../src/dispatcher/flags.js';
import {
  applyProbeResult,
  isProbeTarget,
  isReplyOk,
  type Health,
  type HealthConfig,
  type ProbingMode,
} from '../../../src/dispatcher/health.js';
import { parseReplyCodes } from '../../../src/shared/reply-codes.js';

const cfg = (over: Partial<HealthConfig> = {}): HealthConfig => ({
  probingMode: 1,
  probingThreshold: 1,
  inactiveThreshold: 1,
  replyCodes: { codes: [], classes: [] },
  ...over,
});
const at = (letters: string, count = 0): Health => ({ state: flagsToState(bitsOf(letters)), count });

function bitsOf(letters: string): number {
  const first: Record<string, number> = { A: 0, I: 1, T: 2, D: 4 };
  const second: Record<string, number> = { X: 0, P: 8, N: 32 };
  return (first[letters.charAt(0)] ?? 0) | (second[letters.charAt(1)] ?? 0);
}

/** Feeds results ('+' ok, '-' failure) and returns the letters after each ('=' when ignored). */
function run(start: string, results: string, c: HealthConfig): string[] {
  let h = at(start);
  return [...results].map((r) => {
    const next = applyProbeResult(h, r === '+', c);
    if (!next) return '=';
    h = next;
    return stateLetters(h.state);
  });
}

describe('flags and letters', () => {
  it.each([
    [0, 'AX'],
    [8, 'AP'],
    [1, 'IX'],
    [9, 'IP'],
    [2, 'TX'],
    [10, 'TP'],
    [4, 'DX'],
    [12, 'DP'],
    [32, 'AN'],
    [3, 'IX'],
    [5, 'IX'],
    [6, 'DX'],
    [16, 'AX'],
  ])('flags %i print as %s', (flags, letters) => {
    expect(stateLetters(flagsToState(flags))).toBe(letters);
  });

  it.each([0, 1, 2, 4, 8, 9, 10, 12, 16, 24, 32, 40, 56])('flags %i survive state and back', (flags) => {
    expect(stateToFlags(flagsToState(flags))).toBe(flags);
  });

  it.each([
    ['a', 'AX'],
    ['ap', 'AP'],
    ['AP', 'AP'],
    ['1', 'AX'],
    ['1p', 'AP'],
    ['i', 'IX'],
    ['0', 'IX'],
    ['ip', 'IP'],
    ['d', 'DX'],
    ['dx', 'DX'],
    ['dp', 'DX'],
    ['2', 'DX'],
    ['t', 'TX'],
    ['3p', 'TP'],
    ['ax', 'AX'],
  ])('set_state %j gives %s', (text, letters) => {
    const r = parseSetState(text);
    expect(r.ok && stateLetters(r.value)).toBe(letters);
  });

  it.each(['', 'x', '4', 'p', ' a'])('set_state %j is refused', (text) => {
    expect(parseSetState(text).ok).toBe(false);
  });
});

describe('reply codes (ds_ping_reply_codes)', () => {
  it('keeps valid codes and classes and reports the rest', () => {
    const r = parseReplyCodes('class=3; code=403 ;code=488;code=99;class=7;foo=1;code=700');
    expect(r.rules).toEqual({ codes: [403, 488], classes: [3] });
    expect(r.ignored).toEqual(['code=99', 'class=7', 'foo=1', 'code=700']);
    expect(r.warnings).toEqual(['code=99', 'class=7', 'foo=1', 'code=700'].map((p) => `ds_ping_reply_codes: "${p}" ignored (expected code=100..699 or class=1..6)`));
  });

  it('warns when a timeout would count as a success', () => {
    expect(parseReplyCodes('class=4').warnings).toHaveLength(1);
    expect(parseReplyCodes('code=408').warnings).toHaveLength(1);
  });

  it.each([
    [200, '', true],
    [299, '', true],
    [404, '', false],
    [408, '', false],
    [404, 'code=404', true],
    [486, 'class=4', true],
    [302, 'class=2', false],
    [500, 'code=503;class=3', false],
  ])('%i with %j is ok: %s', (code, text, ok) => {
    expect(isReplyOk(code, parseReplyCodes(text).rules)).toBe(ok);
  });
});

describe('who is pinged (ds_probing_mode)', () => {
  it.each([
    [0, { AX: false, AP: true, IX: false, IP: true, TP: true, DX: false, DP: false, AN: false }],
    [1, { AX: true, AP: true, IX: true, IP: true, TX: true, DX: false, AN: false }],
    [2, { AX: false, AP: false, IX: false, IP: true, TP: false, DX: false }],
    [3, { AX: false, AP: true, IX: false, IP: true, TP: true, DP: false }],
  ] as const)('mode %i', (mode, table) => {
    for (const [letters, pinged] of Object.entries(table)) {
      expect([letters, isProbeTarget(at(letters).state, mode as ProbingMode)]).toEqual([letters, pinged]);
    }
  });

  it('never pings no-DNS entries', () => {
    expect(isProbeTarget(flagsToState(16 | 8), 1)).toBe(false);
  });
});

describe('probe results (ds_options_callback + ds_update_state)', () => {
  it.each([
    { title: 'mode 1, thresholds 1: down at once, up at once', start: 'AX', mode: 1, pt: 1, it: 1, results: '-+', want: 'IP AP' },
    { title: 'mode 1, probing threshold 3: trying twice, then inactive', start: 'AP', mode: 1, pt: 3, it: 1, results: '---', want: 'TP TP IP' },
    { title: 'a success while trying resets the failure count', start: 'AP', mode: 1, pt: 3, it: 1, results: '--+--', want: 'TP TP AP TP TP' },
    { title: 'inactive threshold 3: three consecutive successes to come back', start: 'IP', mode: 1, pt: 1, it: 3, results: '+++', want: 'IP IP AP' },
    { title: 'a failure while inactive resets the success count', start: 'IP', mode: 1, pt: 1, it: 2, results: '+-++', want: 'IP IP IP AP' },
    { title: 'mode 0: success clears P (one shot)', start: 'AP', mode: 0, pt: 1, it: 1, results: '+', want: 'AX' },
    { title: 'mode 0: failure without P ends as IX', start: 'AP', mode: 0, pt: 1, it: 1, results: '-', want: 'IX' },
    { title: 'mode 2: inactive stays IP on failure and recovers to AX', start: 'IP', mode: 2, pt: 1, it: 1, results: '-+', want: 'IP AX' },
    { title: 'mode 3: keeps P on success', start: 'IP', mode: 3, pt: 1, it: 1, results: '+-', want: 'AP IP' },
    { title: 'mode 3: a reply for an entry whose P was removed is ignored', start: 'IX', mode: 3, pt: 1, it: 1, results: '+', want: '=' },
    { title: 'disabled meanwhile: replies are ignored', start: 'DX', mode: 1, pt: 1, it: 1, results: '+-', want: '= =' },
  ])('$title', ({ start, mode, pt, it: inact, results, want }) => {
    expect(run(start, results, cfg({ probingMode: mode as ProbingMode, probingThreshold: pt, inactiveThreshold: inact })).join(' ')).toBe(want);
  });

  it('drops the no-ping bit like Kamailio (all six state bits are rewritten)', () => {
    const next = applyProbeResult({ state: flagsToState(32 | 8), count: 0 }, true, cfg());
    expect(next && stateLetters(next.state)).toBe('AP');
  });
});
