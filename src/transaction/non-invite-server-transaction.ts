/**
 * The non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8): it re-sends the last response to
 * request retransmissions and stays Completed for Timer J to absorb late ones.
 */
import type { SipRequest, SipResponse } from '../sip/message.js';
import { serialize } from '../sip/serialize.js';
import { TransactionBase } from './transaction-base.js';
import { isRfc2543 } from './transaction-keys.js';
import type { ServerHandlers, TransactionContext } from './transaction-types.js';
import type { Target } from '../shared/addresses.js';

export type NonInviteServerState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export class NonInviteServerTransaction extends TransactionBase<NonInviteServerState> {
  // On the prototype: no field per transaction (thousands wait out their timers).
  get kind(): 'non-invite-server' {
    return 'non-invite-server';
  }
  /** The last response sent: a provisional as sent, the final one kept (TransactionBase.keep). */
  private lastResponse: Buffer | string | undefined;

  /** The To tag of an RFC 2543 request, which its retransmissions repeat (§17.2.3); else undefined. */
  readonly rfc2543ToTag: string | undefined;

  constructor(
    ctx: TransactionContext,
    key: string,
    /** Where responses go (the transport's responseTarget for this request). */
    target: Target,
    request: SipRequest,
    private readonly handlers: ServerHandlers<NonInviteServerTransaction>,
  ) {
    super(ctx, key, target, request, handlers.releasesRequest === true, 'trying');
    this.rfc2543ToTag = isRfc2543(request) ? request.to.tag : undefined;
  }

  /** Send a response from the user; false when the state discards it. */
  respond(res: SipResponse): boolean {
    if (this.current !== 'trying' && this.current !== 'proceeding') {
      // §17.2.2: "Any other final responses passed by the TU to the server transaction MUST be
      // discarded while in the 'Completed' state."
      return false;
    }
    const bytes = serialize(res);
    if (res.status < 200) {
      // §17.2.2: "While in the 'Trying' state, if the TU passes a provisional response to the
      // server transaction, the server transaction MUST enter the 'Proceeding' state. The response
      // MUST be passed to the transport layer for transmission."
      this.current = 'proceeding';
      this.lastResponse = bytes;
      this.transmit(bytes);
      return true;
    }
    // "If the TU passes a final response (status codes 200-699) to the server while in the
    // 'Proceeding' state, the transaction MUST enter the 'Completed' state, and the response MUST
    // be passed to the transport layer for transmission." (Figure 8: likewise from 'Trying'.)
    this.current = 'completed';
    // "When the server transaction enters the 'Completed' state, it MUST set Timer J to fire in
    // 64*T1 seconds for unreliable transports, and zero seconds for reliable transports."
    if (!this.reliable) {
      this.armState(this.ctx.timers.J);
      this.lastResponse = TransactionBase.keep(bytes);
      this.keepPeer();
    }
    this.transmit(bytes);
    this.releaseRequest();
    if (this.reliable) this.terminate();
    else this.absorbing();
    return true;
  }

  /** A retransmission of the request arrived. */
  receiveRetransmission(): void {
    // §17.2.2: in 'Trying', "any further request retransmissions are discarded". In 'Proceeding',
    // "the most recently sent provisional response MUST be passed to the transport layer for
    // retransmission", and in 'Completed' the server "MUST pass the final response to the
    // transport layer for retransmission whenever a retransmission of the request is received."
    if ((this.current === 'proceeding' || this.current === 'completed') && this.lastResponse !== undefined) {
      this.transmit(this.lastResponse);
    }
  }

  /** Stop at once without telling the user (shutdown). */
  abort(): void {
    this.terminate();
  }

  /** Timer J, the only state timer. */
  protected onStateTimer(): void {
    // §17.2.2: "The server transaction remains in this state until Timer J fires, at which point
    // it MUST transition to the 'Terminated' state."
    if (this.current === 'completed') this.terminate();
  }

  protected onSendError(err: Error): void {
    // RFC 6026 §8.8 (replacing §17.2.4): "the server transaction SHOULD inform the TU that a
    // failure has occurred, and MUST remain in the current state."
    if (this.current !== 'terminated') this.handlers.onTransportError?.(this, err);
  }
}
