import { describe, expect, it } from 'vitest';
import { AddressGroups } from '../../../src/edge/address-groups.js';

describe('AddressGroups', () => {
  it('joins the config groups and the file, longest prefix or not, by group name', () => {
    const r = AddressGroups.build({ carriers: ['203.0.113.0/24'] }, { name: 'address.list', text: '# carriers and pbx\ncarriers 198.51.100.7\n\npbx 10.1.0.0/16 10.2.0.0/16  # two sites\n' });
    if (!r.ok) throw new Error(r.error.join());
    const g = r.value;
    expect(['203.0.113.9', '198.51.100.7', '198.51.100.8'].map((a) => g.has('carriers', a))).toEqual([true, true, false]);
    expect(['10.1.2.3', '10.2.2.3', '10.3.0.1'].map((a) => g.has('pbx', a))).toEqual([true, true, false]);
    expect(g.has('nobody', '10.1.2.3')).toBe(false);
    expect(g.dump()).toEqual([
      { group: 'carriers', networks: ['203.0.113.0/24', '198.51.100.7'] },
      { group: 'pbx', networks: ['10.1.0.0/16', '10.2.0.0/16'] },
    ]);
  });

  it('refuses a bad file with every file:line: reason', () => {
    const r = AddressGroups.build({}, { name: 'address.list', text: 'carriers 198.51.100.7\ncarriers 198.51.100.300\npbx\n' });
    expect(r).toEqual({
      ok: false,
      error: ['address.list:2: "198.51.100.300" is not an IP address or CIDR network', 'address.list:3: "pbx" has no network (expected GROUP NETWORK [NETWORK…])'],
    });
  });
});
