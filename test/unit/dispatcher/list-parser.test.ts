import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { flagsToState, stateLetters } from '../../../src/dispatcher/flags.js';
import { parseDispatcherList, parseListSteps, printDispatcherList, type ListEntry } from '../../../src/dispatcher/list-parser.js';
import { buildSnapshot, EMPTY_SNAPSHOT } from '../../../src/dispatcher/snapshot.js';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/dispatcher/${name}`, import.meta.url), 'utf8');
const cols = (e: ListEntry): [number, string, number, number, string] => [e.setId, e.uri, e.flags, e.priority, e.attrs.body];
const one = (line: string): ListEntry => {
  const r = parseDispatcherList(line + '\n', 'd.list', 'strict');
  expect(r.errors).toEqual([]);
  expect(r.entries).toHaveLength(1);
  return r.entries[0]!;
};

describe('dispatcher.list grammar (ds_load_list)', () => {
  it.each([
    ['1 sip:10.0.0.1:5060', [1, 'sip:10.0.0.1:5060', 0, 0, '']],
    ['  2\tsip:a.example.com   8   5   duid=a;weight=50  ', [2, 'sip:a.example.com', 8, 5, 'duid=a;weight=50']],
    ['3 sip:b.example.com 0x10', [3, 'sip:b.example.com', 16, 0, '']],
    ['3 sip:b.example.com 0x1F 2', [3, 'sip:b.example.com', 31, 2, '']],
    ['3 sip:b.example.com 0X8', [3, 'sip:b.example.com', 0, 0, 'X8']],
    ['4 sip:c.example.com duid=x', [4, 'sip:c.example.com', 0, 0, 'duid=x']],
    ['4 sip:c.example.com 8 duid=x', [4, 'sip:c.example.com', 8, 0, 'duid=x']],
    ['4 sip:c.example.com 10abc', [4, 'sip:c.example.com', 10, 0, 'abc']],
    ['5 sip:d.example.com 0 1 a=b#c more', [5, 'sip:d.example.com', 0, 1, 'a=b#c']],
    ['5 sip:d.example.com # a comment', [5, 'sip:d.example.com', 0, 0, '']],
    ['5 sip:d.example.com 2 # a comment', [5, 'sip:d.example.com', 2, 0, '']],
    ['6 sip:e.example.com:5080#c 2 7', [6, 'sip:e.example.com:5080', 0, 0, '']],
    ['7 127.0.0.1:5080', [7, 'sip:127.0.0.1:5080', 0, 0, '']],
    ['7 fs1.example.com', [7, 'sip:fs1.example.com', 0, 0, '']],
    ['8 sips:f.example.com;transport=tls 0 0 duid=f;', [8, 'sips:f.example.com;transport=tls', 0, 0, 'duid=f']],
    ['9 sip:[2001:db8::1]:5070', [9, 'sip:[2001:db8::1]:5070', 0, 0, '']],
    ['sip:g.example.com 3 4', [0, 'sip:g.example.com', 3, 4, '']],
    ['10 sip:h.example.com\r', [10, 'sip:h.example.com', 0, 0, '']],
  ])('%j', (line, want) => {
    expect(cols(one(line))).toEqual(want);
  });

  it('skips blank and comment lines and counts lines from 1', () => {
    const r = parseDispatcherList('# header\n\n   \n\t# indented\n1 sip:a.example.com\n', 'd.list', 'strict');
    expect(r.entries.map((e) => e.line)).toEqual([5]);
  });

  it('warns about the quirks it accepts', () => {
    const r = parseDispatcherList('sip:a.example.com\n2 127.0.0.1:5080 10abc\n3 sip:b.example.com#x 1 2\n4 sip:c.example.com 0 0 a=1 junk\n', 'd.list', 'strict');
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      "d.list:1: no set id: 'sip:a.example.com' goes to set 0",
      "d.list:2: '127.0.0.1:5080' has no scheme: loaded as 'sip:127.0.0.1:5080'",
      "d.list:2: '10' is read as flags, the text after it as attrs",
      "d.list:3: '#' ends the destination: '#x 1 2' is a comment",
      "d.list:4: text after the attrs is ignored: 'junk'",
    ]);
  });

  it('warns about duplicates, which Kamailio allows', () => {
    const r = parseDispatcherList('1 sip:a.example.com\n1 SIP:A.example.com\n2 sip:a.example.com\n', 'd.list', 'strict');
    expect(r.entries).toHaveLength(3);
    expect(r.warnings).toEqual(['d.list:2: duplicate of line 1 in set 1: state changes by URI reach only the first']);
  });
});

describe('dispatcher.list errors (exact file:line: reason)', () => {
  const bad = [
    '1 sip:ok.example.com',
    '2',
    '3 # only a comment after the set id',
    '4 sip:',
    '5 a.b',
    '6 tel:+12345',
    '7 sip:x.example.com 0 0 weight=500;rweight=0;maxload=abc',
    '8 sip:y.example.com 0 0 a="b',
    '9 sip:z.example.com 0 0 ;=x',
    '10 sip:w.example.com 0 0 socket=udp:1.2.3.4:99999;obproxy=nope',
    '99999999999 sip:v.example.com',
  ].join('\n');

  it('strict: every bad line is an error and nothing may load', () => {
    const r = parseDispatcherList(bad, 'conf/dispatcher.list', 'strict');
    expect(r.malformed).toBe(true);
    expect(r.errors).toEqual([
      'conf/dispatcher.list:2: bad line: a set id without a destination',
      'conf/dispatcher.list:3: bad line: a set id without a destination',
      "conf/dispatcher.list:4: bad destination URI 'sip:'",
      "conf/dispatcher.list:5: bad destination URI 'a.b'",
      "conf/dispatcher.list:6: destination 'tel:+12345' is not a sip: or sips: URI",
      "conf/dispatcher.list:7: weight '500' is not a number in 1-100",
      "conf/dispatcher.list:7: rweight '0' is not a number in 1-100",
      "conf/dispatcher.list:7: maxload 'abc' is not a number >= 0",
      `conf/dispatcher.list:8: attrs 'a="b' have an unclosed quote`,
      "conf/dispatcher.list:9: attrs ';=x' are not a name=value list",
      "conf/dispatcher.list:10: socket 'udp:1.2.3.4:99999' is not valid",
      "conf/dispatcher.list:10: obproxy 'nope' is not valid",
      'conf/dispatcher.list:11: number out of range (set id, flags and priority must fit in 31 bits)',
    ]);
  });

  it('lenient: bad entries are skipped or their bad values ignored, like Kamailio', () => {
    const r = parseDispatcherList(bad.split('\n').filter((l) => !/^[23] /.test(l) && l !== '2').join('\n'), 'd.list', 'lenient');
    expect(r.errors).toEqual([]);
    expect(r.entries.map(cols)).toEqual([
      [1, 'sip:ok.example.com', 0, 0, ''],
      [7, 'sip:x.example.com', 0, 0, 'weight=500;rweight=0;maxload=abc'],
      [10, 'sip:w.example.com', 0, 0, 'socket=udp:1.2.3.4:99999;obproxy=nope'],
    ]);
    expect(r.entries[1]!.attrs).toMatchObject({ weight: 0, rweight: 0, maxload: 0 });
    expect(r.warnings).toContain("d.list:2: bad destination URI 'sip:' -- skipping");
    expect(r.warnings).toContain("d.list:5: weight '500' is not a number in 1-100 -- value ignored");
  });

  it('a set id without a destination fails the file in lenient mode too', () => {
    const r = parseDispatcherList('1 sip:a.example.com\n2\n', 'd.list', 'lenient');
    expect(r.malformed).toBe(true);
    expect(r.errors).toEqual(['d.list:2: bad line: a set id without a destination']);
  });

  it('a line of 1023 bytes or more: an error when strict, read in pieces (like fgets) when lenient', () => {
    const long = `1 sip:a.example.com 0 0 x=${'y'.repeat(1100)}`;
    expect(parseDispatcherList(long, 'd.list', 'strict').errors).toEqual(['d.list:1: line is longer than 1022 bytes']);
    const lenient = parseDispatcherList(long, 'd.list', 'lenient');
    expect(lenient.warnings[0]).toBe('d.list:1: line is longer than 1022 bytes -- read in pieces like Kamailio');
    expect(lenient.entries[0]?.attrs.body).toBe(`x=${'y'.repeat(1023 - 26)}`);
  });

  it('never throws on arbitrary text', () => {
    for (const text of ['\u0000', '1 \u00ff', '1 sip:a\u00e9.com', '\n\n\n1', '1 sip:a 0x', '1 sip:a 0xzz 9 q']) {
      expect(() => parseDispatcherList(text, 'd.list', 'strict')).not.toThrow();
    }
  });
});

describe('matches Kamailio 5.6.3 on the same file', () => {
  it('loads kamailio-quirks.list in lenient mode as Kamailio did (order, letters, attrs)', () => {
    const r = parseDispatcherList(fixture('kamailio-quirks.list'), 'kamailio-quirks.list', 'lenient');
    const { snapshot } = buildSnapshot(r.entries, EMPTY_SNAPSHOT, { keepState: true, random: Math.random });
    const expected = JSON.parse(fixture('kamailio-quirks.expected.json')) as { sets: { id: number; targets: Record<string, unknown>[] }[] };
    const got = [...snapshot.sets.values()].map((s) => ({
      id: s.id,
      targets: s.destinations.map((d) => ({
        uri: d.uri,
        flags: stateLetters(flagsToState(d.flags)),
        priority: d.priority,
        body: d.attrs.body,
        ...(d.attrs.duid === undefined ? {} : { duid: d.attrs.duid }),
        ...(d.attrs.body.includes('weight') ? { weight: d.attrs.weight } : {}),
        ...(d.attrs.body.includes('rweight') ? { rweight: d.attrs.rweight } : {}),
        ...(d.attrs.body.includes('maxload') ? { maxload: d.attrs.maxload } : {}),
      })),
    }));
    expect(got).toEqual(expected.sets);
  });
});

describe('printDispatcherList', () => {
  it('round-trips the product sample list', () => {
    const text = fixture('dispatcher.list');
    const first = parseDispatcherList(text, 'a', 'strict');
    expect(first.errors).toEqual([]);
    const again = parseDispatcherList(printDispatcherList(first.entries), 'b', 'strict');
    expect(again.entries.map(cols)).toEqual(first.entries.map(cols));
  });

  it('prints one entry per line with all five columns', () => {
    const r = parseDispatcherList('1 sip:a.example.com 8 5 duid=a\n2 b.example.com\n', 'd', 'strict');
    expect(printDispatcherList(r.entries)).toBe('# setid destination flags priority attrs\n1 sip:a.example.com 8 5 duid=a\n2 sip:b.example.com 0 0\n');
  });
});

describe('parseListSteps', () => {
  // the parser reuses one scanner line after line; dispatcher.add parses between two slices of a reload
  it('gives the same result when other lists are parsed between its slices', () => {
    const text = fixture('kamailio-quirks.list');
    const whole = parseDispatcherList(text, 'q.list', 'lenient');
    const steps = parseListSteps(text, 'q.list', 'lenient', 1);
    let pauses = 0;
    for (let r = steps.next(); ; r = steps.next()) {
      if (r.done) {
        expect(r.value).toStrictEqual(whole);
        break;
      }
      pauses++;
      expect(parseDispatcherList('7 sip:interleaved.example.com:5099 0 3 duid=x;weight=9 junk', 'add', 'lenient').entries).toHaveLength(1);
    }
    expect(pauses).toBeGreaterThan(5);
  });
});
