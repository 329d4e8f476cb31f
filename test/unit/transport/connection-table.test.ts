import { describe, expect, it } from 'vitest';
import { ConnectionTable } from '../../../src/transport/connection-table.js';

const entry = (id: string, key: string) => ({ id, key });

describe('ConnectionTable', () => {
  it('finds by id and by peer key', () => {
    const table = new ConnectionTable(4);
    const a = entry('tcp#1', '127.0.0.1:5060');
    table.add(a);
    expect(table.get('tcp#1')).toBe(a);
    expect(table.find('127.0.0.1:5060')).toBe(a);
    expect(table.get('tcp#2')).toBeUndefined();
    expect(table.find('127.0.0.1:5061')).toBeUndefined();
  });

  it('prefers the newest connection to a peer and falls back to the older one when it goes', () => {
    const table = new ConnectionTable(4);
    const older = entry('tcp#1', 'k');
    const newer = entry('tcp#2', 'k');
    table.add(older);
    table.add(newer);
    expect(table.find('k')).toBe(newer);
    table.delete(newer);
    expect(table.find('k')).toBe(older);
    table.delete(older);
    expect(table.find('k')).toBeUndefined();
    expect(table.size).toBe(0);
  });

  it('is full at capacity and not after a delete', () => {
    const table = new ConnectionTable(2);
    const a = entry('a', 'ka');
    table.add(a);
    expect(table.full).toBe(false);
    table.add(entry('b', 'kb'));
    expect(table.full).toBe(true);
    table.delete(a);
    expect(table.full).toBe(false);
  });

  it('ignores deleting an entry twice or one it does not hold', () => {
    const table = new ConnectionTable(2);
    const a = entry('a', 'k');
    table.add(a);
    table.delete(entry('a', 'k'));
    expect(table.get('a')).toBe(a);
    table.delete(a);
    table.delete(a);
    expect(table.size).toBe(0);
  });
});
