/**
 * What the edge decides about inbound traffic, declared where the bytes arrive (src/edge/
 * implements it): silence for banned, flooding and scanning sources, before and after parsing,
 * and whether a new TCP connection is accepted.
 */
import type { SipRequest } from '../sip/message.js';
import type { MessageSource } from './target.js';

export type InboundDrop = 'banned' | 'pike' | 'scanner';

export interface InboundFilter {
  /** Before parsing: a reason drops the message without a reply. */
  checkBytes(bytes: Buffer, source: MessageSource): InboundDrop | undefined;
  /** A parsed request: a reason drops it without a reply. */
  checkRequest(request: SipRequest, source: MessageSource): InboundDrop | undefined;
  admitsConnection(address: string): boolean;
}
