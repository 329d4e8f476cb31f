/**
 * The permissions address table in force: `address_groups` from the config plus `address_file`,
 * swapped whole on reload (/reload, RPC permissions.addressReload); a bad file keeps the table in
 * force and answers every `file:line: reason`.
 */
import { readFile } from 'node:fs/promises';
import { AddressGroups } from '../edge/address-groups.js';
import { SipDispatchError } from '../shared/errors.js';
import type { SourceGroups } from '../relay/relay-ports.js';

export type AclReload = { ok: true; groups: number } | { ok: false; errors: string[] };

export class AclTable implements SourceGroups {
  private constructor(
    private current: AddressGroups,
    private readonly inline: Readonly<Record<string, readonly string[]>>,
    private readonly file: string | undefined,
  ) {}

  /** At start: an unreadable or bad file is fatal (ACL_FILE naming file and line). */
  static async load(inline: Readonly<Record<string, readonly string[]>>, file: string | undefined): Promise<AclTable> {
    const table = new AclTable(AddressGroups.empty, inline, file);
    const r = await table.reload();
    if (!r.ok) throw new SipDispatchError('ACL_FILE', r.errors.join('\n'), { file, errors: r.errors });
    return table;
  }

  has(group: string, address: string): boolean {
    return this.current.has(group, address);
  }

  dump(): Array<{ group: string; networks: readonly string[] }> {
    return this.current.dump();
  }

  async reload(): Promise<AclReload> {
    let text: string | undefined;
    if (this.file !== undefined) {
      try {
        text = await readFile(this.file, 'utf8');
      } catch (e) {
        return { ok: false, errors: [`${this.file}: cannot read address file: ${(e as Error).message}`] };
      }
    }
    const built = AddressGroups.build(this.inline, text === undefined ? undefined : { name: this.file!, text });
    if (!built.ok) return { ok: false, errors: built.error };
    this.current = built.value;
    return { ok: true, groups: built.value.names().length };
  }
}
