#!/usr/bin/env -S node --max-semi-space-size=4
/**
 * The `sipdispatch` program. Every failure ends with exit status 1 and one clear line per problem
 * (`sipdispatch: …`), never a stack trace. The shebang's `--max-semi-space-size=4` keeps V8's young
 * generation small, so scavenges are frequent but short: they set the relay's latency tail
 * (bench/RESULTS.md). The Dockerfile and `npm start` pass the same flag (node-flags.test.ts). The
 * old generation's growth is switched at run time (`heap_growth`, stack/heap-growth.ts).
 */
import { envOverrides, loadConfig } from '../config/load-config.js';
import { isSipDispatchError } from '../shared/errors.js';
import { checkConfig } from './check-command.js';
import { parseCli, USAGE } from './cli-args.js';
import { createLogger } from '../stack/logging.js';
import { callAdminRpc } from './rpc-client.js';
import { runApp, VERSION } from '../app/run.js';

function fail(e: unknown): number {
  const message = isSipDispatchError(e) ? e.message : e instanceof Error ? e.message : String(e);
  for (const line of message.split('\n')) process.stderr.write(`sipdispatch: ${line}\n`);
  return 1;
}

async function serve(flags: Record<string, unknown>): Promise<void> {
  const config = await loadConfig(flags, envOverrides(process.env));
  const logger = createLogger({ level: config.log_level });
  const app = await runApp(config, logger);
  process.on('SIGHUP', () => {
    void app.reload().then((r) => {
      if (r.ok) logger.info({ added: r.report.added.length, removed: r.report.removed.length, kept: r.report.kept.length }, 'reloaded on SIGHUP');
      else logger.error({ code: r.code, errors: r.errors }, 'reload on SIGHUP failed; the previous list stays in force');
    });
  });
  let stops = 0;
  const stop = (signal: string) => {
    if (++stops > 1) process.exit(1);
    logger.info({ signal }, 'signal received');
    void app.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
}

async function main(argv: string[]): Promise<number | undefined> {
  const cmd = parseCli(argv);
  switch (cmd.kind) {
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    case 'version':
      process.stdout.write(`sipdispatch ${VERSION}\n`);
      return 0;
    case 'rpc': {
      const http = cmd.http ?? process.env.SIPDISPATCH_HTTP ?? '127.0.0.1:9060';
      const r = await callAdminRpc({ method: cmd.method, params: cmd.params, http, token: cmd.token ?? process.env.SIPDISPATCH_ADMIN_TOKEN });
      process.stdout.write(r.text);
      return r.fault ? 1 : 0;
    }
    case 'demo': {
      const { runDemo } = await import('../demo/demo.js');
      return runDemo(cmd.flags);
    }
    case 'run': {
      if (cmd.check) {
        const config = await loadConfig(cmd.flags, envOverrides(process.env));
        const r = await checkConfig(config);
        for (const line of r.lines) (r.ok ? process.stdout : process.stderr).write(`${line}\n`);
        return r.ok ? 0 : 1;
      }
      await serve(cmd.flags);
      return undefined;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = fail(e);
  },
);
