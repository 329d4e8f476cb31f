/**
 * The Node binaries the worker-thread tests run the CLI on: this process's, and the one named by
 * SIPDISPATCH_TEST_NODE (CI installs Node 22 there) when it is another version.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface TestNode {
  readonly version: string;
  readonly path: string;
}

function versionOf(node: string): string | undefined {
  try {
    return execFileSync(node, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
}

export function testNodes(): TestNode[] {
  const nodes: TestNode[] = [{ version: process.version, path: process.execPath }];
  const other = process.env.SIPDISPATCH_TEST_NODE;
  const version = other && existsSync(other) ? versionOf(other) : undefined;
  if (other && version && version !== process.version) nodes.push({ version, path: other });
  return nodes;
}
