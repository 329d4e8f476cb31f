/**
 * Kamailio's permissions address groups: named sets of networks, from the config
 * (`address_groups`) and from an address file. The file has one group per line,
 * `GROUP NETWORK [NETWORK…]` (a CIDR or an address; `#` starts a comment); a group named in
 * several lines gathers them. A bad line is reported as `file:line: reason` and the whole file is
 * refused, so a reload keeps the table in force.
 */
import { NetworkSet } from '../shared/network-set.js';
import { err, ok, type Result } from '../shared/result.js';

export class AddressGroups {
  private constructor(private readonly groups: ReadonlyMap<string, NetworkSet>) {}

  static readonly empty = new AddressGroups(new Map());

  /** `inline` from the config, then the file's lines (their networks add to a group of the same name). */
  static build(inline: Readonly<Record<string, readonly string[]>>, file?: { name: string; text: string }): Result<AddressGroups, string[]> {
    const entries = new Map<string, string[]>();
    const errors: string[] = [];
    for (const [group, networks] of Object.entries(inline)) entries.set(group, [...networks]);
    if (file) {
      file.text.split(/\r?\n/).forEach((raw, i) => {
        const line = raw.replace(/#.*/, '').trim();
        if (line === '') return;
        const [group, ...networks] = line.split(/\s+/);
        if (networks.length === 0) {
          errors.push(`${file.name}:${i + 1}: "${group}" has no network (expected GROUP NETWORK [NETWORK…])`);
          return;
        }
        const bad = networks.find((n) => !NetworkSet.parse([n]).ok);
        if (bad !== undefined) {
          errors.push(`${file.name}:${i + 1}: "${bad}" is not an IP address or CIDR network`);
          return;
        }
        entries.set(group!, [...(entries.get(group!) ?? []), ...networks]);
      });
    }
    const groups = new Map<string, NetworkSet>();
    for (const [group, networks] of entries) {
      const set = NetworkSet.parse(networks);
      if (!set.ok) errors.push(`address_groups.${group}: ${set.error}`);
      else groups.set(group, set.value);
    }
    return errors.length > 0 ? err(errors) : ok(new AddressGroups(groups));
  }

  /** Whether `address` is in `group` (an unknown group holds no one). */
  has(group: string, address: string): boolean {
    return this.groups.get(group)?.has(address) ?? false;
  }

  /** permissions.addressDump: every group with its networks as written. */
  dump(): Array<{ group: string; networks: readonly string[] }> {
    return [...this.groups].map(([group, set]) => ({ group, networks: set.entries }));
  }

  names(): string[] {
    return [...this.groups.keys()];
  }
}
