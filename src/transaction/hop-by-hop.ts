/**
 * The two requests built hop by hop from a request this element sent: the ACK for a non-2xx final
 * response (RFC 3261 §17.1.1.3, sent by the INVITE client transaction) and the CANCEL (§9.1, sent
 * by the relay on its own client transaction). Both copy the original's top Via (same branch), its
 * Request-URI, From, Call-ID, CSeq number and Route header fields.
 */
import { SipDispatchError } from '../shared/errors.js';
import { buildRequest } from '../sip/build.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { serialize } from '../sip/serialize.js';

/** §17.1.1.3, as bytes ready to send (the transaction keeps them to re-send). */
export function buildAck(invite: SipRequest, response: SipResponse): Buffer {
  // "The To header field in the ACK MUST equal the To header field in the response being
  // acknowledged ... The CSeq header field in the ACK MUST contain the same value for the sequence
  // number as was present in the original request, but the method parameter MUST be equal to 'ACK'."
  return serialize(hopRequest('ACK', invite, response.to.raw));
}

/**
 * §9.1: "The Request-URI, Call-ID, To, the numeric part of CSeq, and From header fields in the
 * CANCEL request MUST be identical to those in the request being cancelled, including tags. A
 * CANCEL constructed by a client MUST have only a single Via header field value matching the top
 * Via value in the request being cancelled." Send it with `createClient(cancel, tx.peer, ...)`,
 * only once the INVITE client transaction got a provisional (tx.state === 'proceeding').
 */
export function buildCancel(invite: SipRequest): SipRequest {
  return hopRequest('CANCEL', invite, invite.to.raw);
}

function hopRequest(method: 'ACK' | 'CANCEL', original: SipRequest, to: string): SipRequest {
  const topVia = original.via[0];
  if (topVia === undefined) throw new SipDispatchError('TXN_INVALID_REQUEST', `${method} for a request without Via`);
  // §17.1.1.3: "If the INVITE request whose response is being acknowledged had Route header
  // fields, those header fields MUST appear in the ACK." §9.1 says the same of the CANCEL.
  const routes: Array<[string, string]> = [];
  for (const f of original.headers) if (f.key === 'route') routes.push([f.name, f.value]);
  return buildRequest({
    method,
    uri: original.uri,
    via: [topVia.raw],
    from: original.from.raw,
    to,
    callId: original.callId,
    cseq: original.cseq.seq,
    headers: routes,
  });
}
