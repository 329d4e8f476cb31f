/**
 * Node binaries for the worker-thread tests: one with UDP reusePort (Node >= 22.12 / 23.1), from
 * SIPDISPATCH_TEST_NODE or this process, and one without (this process when it is older).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { nodeHasReusePort } from '../../src/transport/reuse-port.js';

function versionOf(node: string): string | undefined {
  try {
    return execFileSync(node, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim().replace(/^v/, '');
  } catch {
    return undefined;
  }
}

/** A node binary whose dgram honours reusePort, or undefined (Linux only). */
export function reusePortNode(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const fromEnv = process.env.SIPDISPATCH_TEST_NODE;
  if (fromEnv && existsSync(fromEnv)) {
    const v = versionOf(fromEnv);
    if (v && nodeHasReusePort(v)) return fromEnv;
  }
  return nodeHasReusePort(process.versions.node) ? process.execPath : undefined;
}

/** This process's node when it has no UDP reusePort (e.g. Node 20), else undefined. */
export function nodeWithoutReusePort(): string | undefined {
  return nodeHasReusePort(process.versions.node) ? undefined : process.execPath;
}
