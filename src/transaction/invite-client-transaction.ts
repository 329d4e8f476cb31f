/**
 * The INVITE client transaction (RFC 3261 §17.1.1, Figure 5), with RFC 6026's Accepted state and
 * Kamailio's timers: B = fr_timer until the first response, C = fr_inv_timer after a provisional
 * (see timers.ts). It builds and sends the ACK for a non-2xx final response itself (§17.1.1.3).
 */
import type { SipRequest, SipResponse } from '../sip/message.js';
import { buildAck } from './hop-by-hop.js';
import { TransactionBase } from './transaction-base.js';
import { NO_CLIENT_HANDLERS, type ClientHandlers, type TransactionContext } from './transaction-types.js';
import type { Target } from '../shared/addresses.js';

export type InviteClientState = 'calling' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

export class InviteClientTransaction extends TransactionBase<InviteClientState> {
  // On the prototype: no field per transaction (thousands wait out their timers).
  get kind(): 'invite-client' {
    return 'invite-client';
  }
  /** The ACK of a non-2xx final, kept (TransactionBase.keep) to answer its retransmissions. */
  private ackBytes: string | undefined;
  /** Timer C fired: the user was told and is cancelling; wait for the final response. */
  private timedOut = false;

  /**
   * The request as sent: for Timer A, and for a releasing user the request itself (the CANCEL and
   * the ACK are built from it); dropped with the final response.
   */
  private bytes: Buffer | undefined;

  constructor(
    ctx: TransactionContext,
    key: string,
    target: Target,
    request: SipRequest,
    bytes: Buffer,
    private handlers: ClientHandlers<InviteClientTransaction>,
    private readonly timerB: number,
    private readonly timerC: number,
  ) {
    super(ctx, key, target, handlers.releasesRequest === true ? undefined : request, handlers.releasesRequest === true, 'calling');
    this.bytes = bytes;
  }

  /** The request as sent, until the final response. */
  get sentBytes(): Buffer | undefined {
    return this.bytes;
  }

  protected override reparse(): SipRequest | undefined {
    return TransactionBase.parseSent(this.bytes);
  }

  /** True once Timer C fired and the user was told (it is cancelling this branch). */
  get cancelling(): boolean {
    return this.timedOut;
  }

  /** Enter Calling: called by the layer once the transaction is in its table. */
  start(): void {
    // §17.1.1.2: "The client transaction MUST pass the request to the transport layer for
    // transmission. If an unreliable transport is being used, the client transaction MUST start
    // timer A with a value of T1 ... For any transport, the client transaction MUST start timer B".
    this.armState(this.timerB);
    if (this.bytes !== undefined) this.transmit(this.bytes);
    if (!this.reliable && this.current === 'calling') this.armRetransmit(this.ctx.timers.A);
  }

  receiveResponse(res: SipResponse): void {
    switch (this.current) {
      case 'calling':
      case 'proceeding':
        if (res.status < 200) this.onProvisional(res);
        else if (res.status < 300) this.onSuccess(res);
        else this.onFailure(res);
        return;
      case 'completed':
        // §17.1.1.2: "Any retransmissions of the final response that are received while in the
        // 'Completed' state MUST cause the ACK to be re-passed to the transport layer for
        // retransmission, but the newly received response MUST NOT be passed up to the TU."
        if (res.status >= 300 && this.ackBytes !== undefined) this.transmit(this.ackBytes);
        return;
      case 'accepted':
        // RFC 6026 §8.4: "Any 2xx responses that match this client transaction and that are
        // received while in the 'Accepted' state MUST be passed up to the TU. The client
        // transaction MUST NOT generate an ACK to the 2xx response." (A proxy forwards each one:
        // the caller needs them when its ACK was lost.) Anything else is absorbed.
        if (res.status >= 200 && res.status < 300) this.handlers.onResponse(this, res);
        return;
      case 'terminated':
        return;
    }
  }

  /** Stop at once without telling the user (shutdown). */
  abort(): void {
    this.terminate();
  }

  private onProvisional(res: SipResponse): void {
    if (this.current === 'calling') {
      // §17.1.1.2: "If the client transaction receives a provisional response while in the
      // 'Calling' state, it transitions to the 'Proceeding' state. In the 'Proceeding' state, the
      // client transaction SHOULD NOT retransmit the request any longer."
      this.current = 'proceeding';
      this.stopRetransmit();
    }
    // Timer C (fr_inv_timer) replaces B and restarts on every provisional (§16.6 bullet 11), unless
    // it already fired and the user is cancelling.
    if (!this.timedOut) this.armState(this.timerC);
    // §17.1.1.2: "the provisional response MUST be passed to the TU. Any further provisional
    // responses MUST be passed up to the TU while in the 'Proceeding' state."
    this.handlers.onResponse(this, res);
  }

  private onSuccess(res: SipResponse): void {
    // RFC 6026 §8.4: "When in either the 'Calling' or 'Proceeding' states, reception of a 2xx
    // response MUST cause the client transaction to enter the 'Accepted' state", with Timer M at
    // 64*T1, "and the response MUST be passed up to the TU." No ACK: the end points handle it.
    this.current = 'accepted';
    this.stopRetransmit();
    this.armState(this.ctx.timers.M);
    this.handlers.onResponse(this, res);
    this.bytes = undefined;
    this.releaseRequest();
    // Accepted is not cut short: a call the farm accepted, not something a stranger piles up.
    this.absorbing(false);
  }

  private onFailure(res: SipResponse): void {
    // §17.1.1.2: "reception of a response with status code from 300-699 MUST cause the client
    // transaction to transition to 'Completed'. The client transaction MUST pass the received
    // response up to the TU, and the client transaction MUST generate an ACK request, even if the
    // transport is reliable ... The ACK MUST be sent to the same address, port, and transport to
    // which the original request was sent."
    this.current = 'completed';
    this.stopRetransmit();
    const ack = buildAck(this.request, res);
    if (!this.reliable) this.ackBytes = TransactionBase.keep(ack);
    this.transmit(ack);
    // "The client transaction SHOULD start timer D when it enters the 'Completed' state, with a
    // value of at least 32 seconds for unreliable transports, and a value of zero seconds for
    // reliable transports."
    if (this.reliable) this.terminate();
    else this.armState(this.ctx.timers.D);
    this.handlers.onResponse(this, res);
    this.handlers = NO_CLIENT_HANDLERS;
    this.bytes = undefined;
    this.releaseRequest();
    this.absorbing();
  }

  /** Timer A. */
  protected override onRetransmitTimer(): void {
    if (this.current !== 'calling' || this.bytes === undefined) return;
    // §17.1.1.2: "When timer A fires, the client transaction MUST retransmit the request by
    // passing it to the transport layer, and MUST reset the timer with a value of 2*T1." Capped at
    // T2 like Kamailio's retr_timer2 (timers.ts). Held while this thread is behind (TransactionContext.pressure).
    this.retransmit(this.bytes, this.handlers);
    this.backOff();
  }

  /** Timer B (Calling), C then the CANCEL grace (Proceeding), D (Completed), M (Accepted). */
  protected onStateTimer(): void {
    switch (this.current) {
      case 'calling':
        // §17.1.1.2: "If the client transaction is still in the 'Calling' state when timer B fires,
        // the client transaction SHOULD inform the TU that a timeout has occurred. The client
        // transaction MUST NOT generate an ACK."
        this.terminate();
        this.handlers.onTimeout(this);
        return;
      case 'proceeding':
        if (this.timedOut) {
          // The 64·T1 grace after Timer C ended without a final response.
          this.terminate();
          return;
        }
        // Timer C. §16.8: "If the client transaction has received a provisional response, the proxy
        // MUST generate a CANCEL request matching that transaction." The user sends it; this
        // transaction waits for the 487 (and ACKs it) for as long as the server may take, 64·T1.
        this.timedOut = true;
        this.armState(this.ctx.timers.M);
        this.handlers.onTimeout(this);
        return;
      case 'completed':
        // §17.1.1.2: "If timer D fires while the client transaction is in the 'Completed' state, the
        // client transaction MUST move to the terminated state."
        this.terminate();
        return;
      case 'accepted':
        // RFC 6026 §8.4: "If Timer M fires while the client INVITE transaction state machine is in
        // the 'Accepted' state, the machine MUST transition to the 'Terminated' state."
        this.terminate();
        return;
      case 'terminated':
        return;
    }
  }

  protected onSendError(err: Error): void {
    switch (this.current) {
      case 'calling':
      case 'proceeding':
        // §17.1.4: "The client transaction SHOULD inform the TU that a transport failure has
        // occurred, and the client transaction SHOULD transition directly to the 'Terminated' state."
        this.terminate();
        this.handlers.onTransportError(this, err);
        return;
      case 'completed':
        // Figure 5 also informs the TU when the ACK cannot be sent; the TU already has the final
        // response and nothing to fail over, so the transaction just ends.
        this.ctx.logger.debug({ err: err.message, key: this.key }, 'ACK could not be sent');
        this.terminate();
        return;
      case 'accepted':
      case 'terminated':
        return;
    }
  }
}
