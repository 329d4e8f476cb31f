/**
 * A simulated FreeSWITCH for the demo: a small UDP user agent server on 127.0.0.1 that answers
 * OPTIONS 200, INVITE 100/180/200 (Contact and Record-Route as RFC 3261 §12.1.1 asks), ACK
 * silently, BYE and CANCEL 200 (481 outside a dialog it made). It can be stopped and restarted on its port.
 */
import dgram from 'node:dgram';
import { SipDispatchError } from '../shared/errors.js';
import { buildResponse, newTag } from '../sip/build.js';
import type { SipRequest } from '../sip/message.js';
import { parseMessage } from '../sip/parse-message.js';
import { serialize } from '../sip/serialize.js';

type Peer = { address: string; port: number };

export class DemoBackend {
  /** INVITEs answered 200 since the first start. */
  answered = 0;
  /** To-tag per Call-ID of the dialogs this backend made (a retransmitted INVITE gets the same). */
  private readonly dialogs = new Map<string, string>();
  private socket: dgram.Socket | undefined;

  private constructor(
    /** Also the Contact's user part, so a caller can tell who answered. */
    readonly name: string,
    private boundPort: number,
  ) {}

  /** Binds 127.0.0.1:`port` (0: the system picks one, kept for restarts). */
  static async start(name: string, port = 0): Promise<DemoBackend> {
    const backend = new DemoBackend(name, port);
    await backend.restart();
    return backend;
  }

  /** The UDP port; it stays the same across restarts. */
  get port(): number {
    return this.boundPort;
  }

  get running(): boolean {
    return this.socket !== undefined;
  }

  /** Binds again on the same port after `stop()`; a no-op while running. */
  async restart(): Promise<void> {
    if (this.socket) return;
    const socket = dgram.createSocket('udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(this.boundPort, '127.0.0.1', () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      socket.close();
      const where = `127.0.0.1:${this.port}`;
      throw new SipDispatchError('LISTEN_FAILED', `demo backend ${this.name} cannot bind udp ${where}: ${(e as Error).message}`, { address: where }, { cause: e });
    }
    // Sends to a peer that went away are the demo's normal weather, not a crash.
    socket.on('error', () => {});
    socket.on('message', (buf, rinfo) => this.receive(buf, { address: rinfo.address, port: rinfo.port }));
    this.boundPort = socket.address().port;
    this.socket = socket;
  }

  /** Closes the socket as a crashed server would: dialogs are forgotten, nothing is answered. */
  async stop(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    this.dialogs.clear();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private receive(buf: Buffer, from: Peer): void {
    const r = parseMessage(buf);
    if (!r.ok || r.message.kind !== 'request') return;
    const req = r.message;
    switch (req.method) {
      case 'INVITE':
        return this.answerInvite(req, from);
      case 'ACK':
        return;
      case 'BYE':
      case 'CANCEL': {
        // Every INVITE is answered at once, so a CANCEL only ever finds a completed one (§9.2: 200).
        const known = req.method === 'BYE' ? this.dialogs.delete(req.callId) : this.dialogs.has(req.callId);
        return this.reply(req, from, known ? 200 : 481, known ? 'OK' : 'Call/Transaction Does Not Exist');
      }
      case 'OPTIONS':
        return this.reply(req, from, 200, 'OK');
      default:
        return this.reply(req, from, 501, 'Not Implemented');
    }
  }

  private answerInvite(req: SipRequest, from: Peer): void {
    let toTag = this.dialogs.get(req.callId);
    if (toTag === undefined) {
      toTag = newTag();
      this.dialogs.set(req.callId, toTag);
      this.answered++;
    }
    const recordRoute: Array<[string, string]> = [];
    for (const f of req.headers) if (f.key === 'record-route') recordRoute.push(['Record-Route', f.value]);
    const contact: [string, string] = ['Contact', `<sip:${this.name}@127.0.0.1:${this.port}>`];
    this.reply(req, from, 100, 'Trying');
    this.reply(req, from, 180, 'Ringing', toTag, recordRoute);
    this.reply(req, from, 200, 'OK', toTag, [...recordRoute, contact]);
  }

  private reply(req: SipRequest, to: Peer, status: number, reason: string, toTag?: string, headers?: Array<[string, string]>): void {
    const bytes = serialize(buildResponse(req, status, reason, { toTag, headers }));
    this.socket?.send(bytes, to.port, to.address);
  }
}
