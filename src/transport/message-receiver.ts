/**
 * What happens to one complete message (a datagram, or one framed from a TCP stream): parse,
 * stamp the top Via of a request with received/rport, hand it to the handler. The ACK of one of
 * our stateless replies is absorbed before the parse (sl_filter_ACK). A request that
 * does not parse is answered from what could be read (400, 513...) or dropped; a malformed
 * response is dropped. Both publish `parse-error`, and `dropped` when nothing was sent back.
 */
import { publish } from '../shared/events.js';
import type { DropReason } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import type { ParseError, SipMessage, SipRequest } from '../sip/message.js';
import { buildResponseFromPartial } from '../sip/build.js';
import { popVia, pushVia, setTopViaReceived } from '../sip/edit.js';
import { parseMessage } from '../sip/parse-message.js';
import { isAckToStatelessReply } from '../sip/stateless-ack.js';
import { uriHost } from './socket-address.js';
import type { MessageSource } from './target.js';
import { viaReceivedParams } from './via-received.js';
import type { WireTap } from './wire-tap.js';
import type { InboundFilter } from './inbound-filter.js';

/** `late`: a new initial request that waited in the UDP intake longer than allowed (intake-queue.ts). */
export type MessageHandler = (message: SipMessage, source: MessageSource, late: boolean) => void;

/** Sends bytes back where a message came from (same socket or connection); bound once per socket. */
export type Reply = (bytes: Buffer, to: MessageSource) => void;

export interface MessageReceiverOptions {
  maxMessageSize: number;
  forceRport: boolean;
  logger: Logger;
  /** Told of every message as it arrived, before it is parsed. */
  tap?: WireTap;
  /** Edge security: silence for banned, flooding and scanning sources. */
  filter?: InboundFilter;
}

export class MessageReceiver {
  private handler: MessageHandler | undefined;
  private readonly parseOptions: { maxSize: number };

  constructor(private readonly options: MessageReceiverOptions) {
    this.parseOptions = { maxSize: options.maxMessageSize };
  }

  /** The one consumer of parsed messages (the transaction layer). */
  setHandler(handler: MessageHandler): void {
    this.handler = handler;
  }

  receive(bytes: Buffer, source: MessageSource, reply: Reply, late = false): void {
    const filter = this.options.filter;
    if (filter) {
      const drop = filter.checkBytes(bytes, source);
      if (drop !== undefined) {
        publish('dropped', { reason: drop, transport: source.transport });
        return;
      }
    }
    this.options.tap?.captured(bytes, source.transport, source, source.local);
    if (isAckToStatelessReply(bytes)) return;
    const result = parseMessage(bytes, this.parseOptions);
    if (!result.ok) {
      this.reject(result.error, source, reply);
      return;
    }
    const message = result.message;
    if (message.kind === 'request' && !this.stampVia(message, source)) {
      publish('dropped', { reason: 'malformed', transport: source.transport });
      return;
    }
    if (filter && message.kind === 'request') {
      const drop = filter.checkRequest(message, source);
      if (drop !== undefined) {
        publish('dropped', { reason: drop, transport: source.transport });
        return;
      }
    }
    if (!this.handler) {
      publish('dropped', { reason: 'unroutable', transport: source.transport });
      return;
    }
    try {
      this.handler(message, source, late);
    } catch (e) {
      // a bug upstream must not take the socket (and every other call) down with it
      this.options.logger.error({ err: e, callId: message.callId }, 'message handler threw');
    }
  }

  /** Answer what can be answered, count the rest. Also used for TCP framing errors. */
  reject(error: ParseError, source: MessageSource, reply: Reply): void {
    publish('parse-error', () => ({
      transport: source.transport,
      code: error.code,
      reason: error.reason,
      source: `${uriHost(source.address)}:${source.port}`,
    }));
    const partial = error.partial;
    // responses and ACKs are never answered (RFC 3261 §17.1.1.3, §18.2.1)
    const response = partial?.isRequest && partial.method !== 'ACK'
      ? buildResponseFromPartial(partial, error.status, error.reason)
      : undefined;
    if (response) {
      reply(response, source);
      return;
    }
    const reason: DropReason = error.status === 513 ? 'too-large' : 'malformed';
    publish('dropped', { reason, transport: source.transport });
  }

  /** False when the Via could not take the parameters (the message is then dropped). */
  private stampVia(request: SipRequest, source: MessageSource): boolean {
    const top = request.via[0];
    if (!top) return true;
    const params = viaReceivedParams(top, source.address, source.port, this.options.forceRport);
    if (!params) return true;
    try {
      if (params.rport !== undefined && top.rport === undefined) {
        // force_rport: setTopViaReceived fills only an rport the client wrote, so write one first
        popVia(request);
        pushVia(request, `${top.raw};rport`);
      }
      setTopViaReceived(request, params.received, params.rport);
      return true;
    } catch (e) {
      this.options.logger.debug({ err: e, callId: request.callId }, 'top Via cannot take received/rport');
      return false;
    }
  }
}
