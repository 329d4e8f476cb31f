import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findSipp, freeLoopbackPort, runSippUac, sippScenario, startSippUas, type SippProcess, type SippTransport } from '../support/sipp.js';

// The shared SIPp scenarios, UAC straight to UAS on 127.0.0.1, through the test helper.
describe.skipIf(!findSipp())('SIPp scenarios, UAC -> UAS direct', () => {
  let cwd = '';
  const started: SippProcess[] = [];

  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'sipp-scenarios-'));
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((uas) => uas.stop()));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  async function uas(scenario: 'uas' | 'uas-503', transport: SippTransport = 'udp'): Promise<number> {
    const port = await freeLoopbackPort();
    started.push(await startSippUas({ port, scenario: sippScenario(scenario), transport, cwd }));
    return port;
  }

  it.each<SippTransport>(['udp', 'tcp'])('completes every INVITE/ACK/BYE call over %s', async (transport) => {
    const port = await uas('uas', transport);
    const result = await runSippUac({ target: `127.0.0.1:${port}`, scenario: sippScenario('uac'), calls: 20, rate: 50, transport, timeoutSec: 10, cwd, holdMs: 20 });
    expect(result.errors).toBe('');
    expect(result).toMatchObject({ exitCode: 0, successful: 20, failed: 0 });
  });

  it('answers OPTIONS with 200, one transaction per call', async () => {
    const port = await uas('uas');
    const result = await runSippUac({ target: `127.0.0.1:${port}`, scenario: sippScenario('options-uac'), calls: 20, rate: 50, timeoutSec: 10, cwd });
    expect(result).toMatchObject({ exitCode: 0, successful: 20, failed: 0 });
  });

  it('fails every call against the 503 backend, which still answers OPTIONS', async () => {
    const port = await uas('uas-503');
    const calls = await runSippUac({ target: `127.0.0.1:${port}`, scenario: sippScenario('uac'), calls: 5, rate: 50, timeoutSec: 10, cwd });
    expect(calls).toMatchObject({ exitCode: 1, successful: 0, failed: 5 });
    expect(calls.errors).toMatch(/503 Service Unavailable/);
    const options = await runSippUac({ target: `127.0.0.1:${port}`, scenario: sippScenario('options-uac'), calls: 5, rate: 50, timeoutSec: 10, cwd });
    expect(options).toMatchObject({ exitCode: 0, successful: 5 });
  });

  it('reports a UAS that cannot bind its port', async () => {
    const port = await uas('uas');
    await expect(startSippUas({ port, scenario: sippScenario('uas'), cwd })).rejects.toThrow(/exited with 254 before binding port \d+: .*Address already in use/);
  });

  it('reports a UAC that could not run, with what SIPp said', async () => {
    const port = await freeLoopbackPort();
    const run = runSippUac({ target: `127.0.0.1:${port}`, scenario: join(cwd, 'missing.xml'), calls: 1, rate: 1, timeoutSec: 5, cwd });
    await expect(run).rejects.toThrow(/exited with \d+ without statistics: .*missing\.xml/);
  });

  it('refuses a target that is not loopback', async () => {
    await expect(runSippUac({ target: '192.0.2.1:5060', scenario: sippScenario('uac'), calls: 1, rate: 1, timeoutSec: 1, cwd })).rejects.toThrow(/must be loopback/);
  });
});
