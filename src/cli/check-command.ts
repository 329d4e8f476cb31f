/**
 * `--check` (like `kamailio -c`): the config already validated, this loads the list and reports
 * every `file:line: reason`; host names that do not resolve are warned about, never fatal (a
 * destination's name is resolved when a request is sent, not at load time).
 */
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import type { Config } from '../config/config-types.js';
import { resolveConfig } from '../config/resolve.js';
import { nextHopOf } from '../relay/next-hop.js';
import { createDispatcher, readListFile } from '../stack/create-dispatcher.js';

export interface CheckResult {
  ok: boolean;
  lines: string[];
}

export async function checkConfig(config: Config): Promise<CheckResult> {
  const dispatcher = createDispatcher(config);
  const loaded = dispatcher.load(await readListFile(config.list), config.list);
  if (!loaded.ok) return { ok: false, lines: [...loaded.error.errors, ...loaded.error.warnings.map((w) => `warning: ${w}`)] };
  const lines = [...resolveConfig(config).warnings, ...loaded.value.warnings].map((w) => `warning: ${w}`);
  const hosts = new Set<string>();
  for (const set of dispatcher.snapshot.sets.values()) {
    for (const d of set.destinations) {
      const host = nextHopOf(d.target)?.host;
      if (host && isIP(host) === 0) hosts.add(host);
    }
  }
  for (const host of hosts) {
    const resolved = await Promise.race([
      dns.lookup(host).then(() => true, () => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3000).unref()),
    ]);
    if (!resolved) lines.push(`warning: ${config.list}: host "${host}" does not resolve now; its destinations will fail their probes until it does`);
  }
  const count = [...dispatcher.snapshot.sets.values()].reduce((n, s) => n + s.destinations.length, 0);
  lines.push(`${config.configFile ?? '(no config file)'}: ok; ${config.list}: ok, ${dispatcher.snapshot.sets.size} sets, ${count} destinations`);
  return { ok: true, lines };
}
