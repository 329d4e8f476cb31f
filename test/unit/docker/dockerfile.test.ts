import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_HEALTH_URL, checkHealth, healthUrlFor, runHealthcheck } from '../../../src/cli/healthcheck.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const exists = (path: string) => existsSync(new URL(path.replace(/^\.\//, ''), root));

interface Instruction {
  keyword: string;
  args: string;
  stage: number;
}

/** Dockerfile instructions, continuation lines joined, comments dropped, with their stage index. */
function instructions(text: string): Instruction[] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  let stage = -1;
  return lines.map((line) => {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') stage++;
    return { keyword: keyword.toUpperCase(), args, stage };
  });
}

const dockerfile = instructions(read('Dockerfile'));
const lastStage = Math.max(...dockerfile.map((i) => i.stage));
const build = JSON.parse(read('tsconfig.build.json')) as { compilerOptions: { rootDir: string; outDir: string } };
const outDir = build.compilerOptions.outDir.replace(/^\.\//, '');

/** `COPY [--flags] src... dest` split into flags, sources and destination. */
function copyParts(args: string): { flags: string[]; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const rest = words.filter((w) => !w.startsWith('--'));
  return { flags, sources: rest.slice(0, -1), dest: rest[rest.length - 1] ?? '' };
}

/** The exec-form array of a CMD (or of HEALTHCHECK's CMD after its options). */
function execForm(args: string): string[] {
  const json = args.slice(args.indexOf('['));
  const parsed: unknown = JSON.parse(json);
  expect(Array.isArray(parsed) && parsed.every((a) => typeof a === 'string'), args).toBe(true);
  return parsed as string[];
}

/** The source file tsc compiles to `dist/…js`, per tsconfig.build.json. */
function sourceOf(distFile: string): string {
  expect(distFile.startsWith(`${outDir}/`) && distFile.endsWith('.js'), distFile).toBe(true);
  return `${build.compilerOptions.rootDir}/${distFile.slice(outDir.length + 1).replace(/\.js$/, '.ts')}`;
}

const only = (keyword: string, stage = lastStage) => dockerfile.filter((i) => i.keyword === keyword && i.stage === stage);

describe('Dockerfile', () => {
  it('builds and runs on node:22-slim in two stages', () => {
    const froms = dockerfile.filter((i) => i.keyword === 'FROM').map((i) => i.args);
    expect(froms).toEqual(['node:22-slim AS build', 'node:22-slim']);
    const runs = only('RUN', 0).map((i) => i.args).join(' && ');
    for (const step of ['npm ci', 'npm run build', 'npm prune --omit=dev']) expect(runs).toContain(step);
    expect((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts['build']).toContain('tsconfig.build.json');
  });

  it('copies only files that exist and that .dockerignore lets into the context', () => {
    const ignore = read('.dockerignore').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignore[0]).toBe('*');
    const copies = dockerfile.filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='));
    expect(copies.length).toBeGreaterThan(0);
    for (const { sources } of copies.map((c) => copyParts(c.args))) {
      for (const src of sources) {
        expect(exists(src), src).toBe(true);
        expect(ignore, `.dockerignore re-includes ${src}`).toContain(`!${src}`);
      }
    }
  });

  it('takes from the build stage only what it copied in or produced', () => {
    const copiedIn = only('COPY', 0).flatMap((c) => copyParts(c.args).sources);
    const produced = new Set([...copiedIn, 'node_modules', outDir]);
    const fromBuild = dockerfile.filter((i) => i.keyword === 'COPY' && i.args.includes('--from=build'));
    expect(fromBuild.length).toBeGreaterThan(0);
    for (const src of fromBuild.flatMap((c) => copyParts(c.args).sources)) expect(produced, src).toContain(src.replace(/^\/app\//, ''));
    expect(fromBuild.flatMap((c) => copyParts(c.args).sources)).toContain('/app/package.json');
  });

  it('runs as a non-root user and exposes SIP and the admin port', () => {
    const user = only('USER').map((i) => i.args);
    expect(user).toHaveLength(1);
    expect(['root', '0']).not.toContain(user[0]);
    expect(only('EXPOSE').flatMap((i) => i.args.split(/\s+/))).toEqual(expect.arrayContaining(['5060/udp', '5060/tcp', '9060/tcp']));
    expect(only('VOLUME').map((i) => i.args)).toEqual(['/etc/sipdispatch']);
  });

  it('starts the CLI the build produces, in exec form, with its list under the volume', () => {
    const cmds = only('CMD');
    expect(cmds).toHaveLength(1);
    const cmd = execForm(cmds[0]!.args);
    expect(cmd[0]).toBe('node');
    const cli = cmd.findIndex((a) => !a.startsWith('-') && a !== 'node');
    expect(cmd[cli]).toBe((JSON.parse(read('package.json')) as { bin: Record<string, string> }).bin['sipdispatch']);
    expect(exists(sourceOf(cmd[cli]!)), sourceOf(cmd[cli]!)).toBe(true);
    const list = cmd[cmd.indexOf('--list') + 1];
    expect(list).toMatch(/^\/etc\/sipdispatch\//);
  });

  it('health-checks with Node itself, in exec form, on a script the build produces', () => {
    const checks = only('HEALTHCHECK');
    expect(checks).toHaveLength(1);
    expect(checks[0]!.args).toMatch(/\bCMD \[/);
    const cmd = execForm(checks[0]!.args);
    expect(cmd[0]).toBe('node');
    expect(sourceOf(cmd[1]!)).toBe('src/cli/healthcheck.ts');
    expect(exists('src/cli/healthcheck.ts')).toBe(true);
  });
});

describe('docker-compose.yml', () => {
  const compose = parseYaml(read('docker-compose.yml')) as { services: Record<string, { network_mode?: string; volumes?: string[]; stop_grace_period?: string }> };

  it('runs sipdispatch on the host network with a stop grace period longer than the 32 s drain', () => {
    const svc = compose.services['sipdispatch']!;
    expect(svc.network_mode).toBe('host');
    expect(Number.parseInt(svc.stop_grace_period ?? '0', 10)).toBeGreaterThan(32);
  });

  it('mounts only files of this repository that exist', () => {
    const mounts = Object.values(compose.services).flatMap((s) => s.volumes ?? []).map((v) => v.split(':')[0]!).filter((p) => p.startsWith('./'));
    expect(mounts.length).toBeGreaterThan(3);
    for (const p of mounts) expect(exists(p), p).toBe(true);
  });
});

describe('healthcheck', () => {
  let url = '';
  let hung: AbortController | undefined;
  const server = createServer((req, res) => {
    if (req.url === '/health') res.writeHead(200).end('ok');
    else if (req.url === '/hang') hung?.abort();
    else res.writeHead(503).end('not yet');
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('exits 0 when /health answers 200', async () => {
    const lines: string[] = [];
    expect(await runHealthcheck([`${url}/health`], {}, (l) => lines.push(l))).toBe(0);
    expect(lines).toEqual([]);
  });

  it('exits 1 and says why on any other status', async () => {
    const lines: string[] = [];
    expect(await runHealthcheck([`${url}/other`], {}, (l) => lines.push(l))).toBe(1);
    expect(lines.join('')).toContain('HTTP 503');
  });

  it('exits 1 when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const lines: string[] = [];
    expect(await runHealthcheck([`http://127.0.0.1:${port}/health`], {}, (l) => lines.push(l))).toBe(1);
    expect(lines.join('')).toContain('ECONNREFUSED');
  });

  it('gives up when the answer does not come before its deadline', async () => {
    hung = new AbortController();
    expect(await checkHealth(`${url}/hang`, hung.signal)).toContain('unreachable');
  });

  it('follows SIPDISPATCH_HTTP when given no URL', async () => {
    const port = new URL(url).port;
    expect(await runHealthcheck([], { SIPDISPATCH_HTTP: `0.0.0.0:${port}` }, () => {})).toBe(0);
  });

  it.each([
    [undefined, DEFAULT_HEALTH_URL],
    ['', DEFAULT_HEALTH_URL],
    ['0.0.0.0:9061', 'http://127.0.0.1:9061/health'],
    ['[::]:9060', 'http://[::1]:9060/health'],
    ['[::1]:9070', 'http://[::1]:9070/health'],
    ['192.0.2.7:9000', 'http://192.0.2.7:9000/health'],
    ['no-port', DEFAULT_HEALTH_URL],
  ])('maps the admin address %s to %s', (address, expected) => {
    expect(healthUrlFor(address)).toBe(expected);
  });
});
