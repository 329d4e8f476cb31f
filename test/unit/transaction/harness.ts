/**
 * A fake transport that records every send with the fake clock's time, SIP fixtures parsed with
 * the real parser, and a recording transaction user: what the transaction tests drive.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ManualScheduler } from '../../../src/shared/scheduler.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { subscribe } from '../../../src/shared/events.js';
import type { PressureGauge } from '../../../src/shared/pressure.js';
import type { SipMessage, SipRequest, SipResponse } from '../../../src/sip/message.js';
import { parseMessage } from '../../../src/sip/parse-message.js';
import { timerValues, type TimerValues } from '../../../src/transaction/timers.js';
import { TransactionLayer } from '../../../src/transaction/transaction-layer.js';
import type { ClientTransaction, ClientTransactionHandlers, ServerTransaction, ServerTransactionHandlers } from '../../../src/transaction/transactions.js';
import type { Target } from '../../../src/shared/addresses.js';
import type { SendErrorHandler, TransactionTransport } from '../../../src/transaction/transport.js';

export interface Sent {
  at: number;
  bytes: Buffer;
  target: Target;
  onError: SendErrorHandler;
}

export class FakeTransport implements TransactionTransport {
  readonly sent: Sent[] = [];
  reliable = false;

  constructor(private readonly scheduler: ManualScheduler) {}

  send(bytes: Buffer, target: Target, onError: SendErrorHandler): void {
    this.sent.push({ at: this.scheduler.now(), bytes, target, onError });
  }

  isReliable(): boolean {
    return this.reliable;
  }

  /** The start line of every message sent. */
  get lines(): string[] {
    return this.sent.map((s) => firstLine(s.bytes));
  }

  /** Times of the sends whose start line begins with `prefix`. */
  timesOf(prefix: string): number[] {
    return this.sent.filter((s) => firstLine(s.bytes).startsWith(prefix)).map((s) => s.at);
  }

  last(): Sent {
    const s = this.sent.at(-1);
    if (s === undefined) throw new Error('nothing sent');
    return s;
  }

  lastMessage(): SipMessage {
    return parse(this.last().bytes);
  }
}

const firstLine = (b: Buffer): string => b.toString('latin1', 0, b.indexOf('\r\n'));

export function parse(bytes: Buffer): SipMessage {
  const r = parseMessage(bytes);
  if (!r.ok) throw new Error(`fixture does not parse: ${r.error.reason}`);
  return r.message;
}

const fixtureDir = fileURLToPath(new URL('../../fixtures/sip/transaction/', import.meta.url));

/**
 * A request fixture from test/fixtures/sip/transaction (stored with LF, sent with CRLF); `branch`
 * replaces the top Via's branch, for another transaction from the same fixture.
 */
export function fixture(name: string, branch?: string): SipRequest {
  let text = readFileSync(fixtureDir + name, 'latin1').replace(/\r?\n/g, '\r\n');
  if (branch !== undefined) text = text.replace(/branch=[^;\r]+/, `branch=${branch}`);
  const msg = parse(Buffer.from(text, 'latin1'));
  if (msg.kind !== 'request') throw new Error(`${name} is not a request`);
  return msg;
}

export const T1 = 500;
export const T2 = 4000;
export const T4 = 5000;
export const FR_TIMER = 5000;
export const FR_INV_TIMER = 120_000;

export function testTimers(): TimerValues {
  return timerValues({ t1: T1, t2: T2, t4: T4, frTimer: FR_TIMER, frInvTimer: FR_INV_TIMER });
}

export const UDP_PEER: Target = { transport: 'udp', host: '192.0.2.99', port: 5070 };
export const UDP_SOURCE: Target = { transport: 'udp', host: '192.0.2.10', port: 5060 };
export const TCP_PEER: Target = { transport: 'tcp', host: '192.0.2.99', port: 5070, connectionId: 'c1' };

/** A transaction user that records what it hears. */
export class RecordingUser implements ClientTransactionHandlers, ServerTransactionHandlers {
  readonly responses: SipResponse[] = [];
  readonly timeouts: Array<ClientTransaction | ServerTransaction> = [];
  readonly errors: Error[] = [];

  onResponse(_tx: ClientTransaction, res: SipResponse): void {
    this.responses.push(res);
  }

  onTimeout(tx: ClientTransaction | ServerTransaction): void {
    this.timeouts.push(tx);
  }

  onTransportError(_tx: ClientTransaction | ServerTransaction, err: Error): void {
    this.errors.push(err);
  }

  get statuses(): number[] {
    return this.responses.map((r) => r.status);
  }
}

export interface Harness {
  scheduler: ManualScheduler;
  transport: FakeTransport;
  layer: TransactionLayer;
  user: RecordingUser;
}

/** `maxCompleted`: max_completed_transactions (none by default). */
export function harness(reliable = false, maxCompleted?: number, pressure?: PressureGauge): Harness {
  const scheduler = new ManualScheduler();
  const transport = new FakeTransport(scheduler);
  transport.reliable = reliable;
  const layer = new TransactionLayer({ transport, scheduler, timers: testTimers(), logger: silentLogger, maxCompleted, pressure });
  return { scheduler, transport, layer, user: new RecordingUser() };
}

/** A pressure gauge a test switches by hand, and how many retransmissions were held meanwhile. */
export function manualPressure(): { gauge: { pressured: boolean; shedding: boolean; shedShare: number; epoch: number }; held: () => number; close: () => void } {
  let held = 0;
  const close = subscribe('retransmission.held', () => held++);
  return { gauge: { pressured: false, shedding: false, shedShare: 0, epoch: 0 }, held: () => held, close };
}

/** Let queued microtasks run (the INVITE server transaction's 100 Trying). */
export const flushMicrotasks = (): Promise<void> => Promise.resolve();

/** A response to `req` as a UAS would send it (§8.2.6: Via, From, To, Call-ID, CSeq copied). */
export function responseTo(req: SipRequest, status: number, reason: string, toTag?: string): SipResponse {
  const to = toTag === undefined || req.to.tag !== undefined ? req.to.raw : `${req.to.raw};tag=${toTag}`;
  const lines = [
    `SIP/2.0 ${status} ${reason}`,
    ...req.via.map((v) => `Via: ${v.raw}`),
    `From: ${req.from.raw}`,
    `To: ${to}`,
    `Call-ID: ${req.callId}`,
    `CSeq: ${req.cseq.seq} ${req.cseq.method}`,
    'Content-Length: 0',
    '',
    '',
  ];
  const msg = parse(Buffer.from(lines.join('\r\n'), 'latin1'));
  if (msg.kind !== 'response') throw new Error('not a response');
  return msg;
}
