/**
 * The non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6): OPTIONS probes, BYE, CANCEL,
 * REGISTER... relayed by the proxy. Timer F is Kamailio's fr_timer (timers.ts).
 */
import type { SipRequest, SipResponse } from '../sip/message.js';
import { TransactionBase } from './transaction-base.js';
import { NO_CLIENT_HANDLERS, type Absorber, type ClientHandlers, type TransactionContext } from './transaction-types.js';
import type { Target } from '../shared/addresses.js';

export type NonInviteClientState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export class NonInviteClientTransaction extends TransactionBase<NonInviteClientState> {
  // On the prototype: no field per transaction (thousands wait out their timers).
  get kind(): 'non-invite-client' {
    return 'non-invite-client';
  }

  /** The request as sent, for Timer E; dropped once a final response ends retransmissions. */
  private bytes: Buffer | undefined;
  /** In Completed over UDP: the record in the table that absorbs for Timer K in this object's place. */
  private absorber: Absorber | undefined;

  constructor(
    ctx: TransactionContext,
    key: string,
    target: Target,
    request: SipRequest,
    bytes: Buffer,
    private handlers: ClientHandlers<NonInviteClientTransaction>,
    private readonly timerF: number,
  ) {
    super(ctx, key, target, handlers.releasesRequest === true ? undefined : request, handlers.releasesRequest === true, 'trying');
    this.bytes = bytes;
  }

  /** Completed ends when the record that absorbs in its place does (Timer K, or ended early). */
  override get state(): NonInviteClientState {
    return this.current === 'completed' && this.absorber?.ended === true ? 'terminated' : this.current;
  }

  /** The request as sent while it may be retransmitted (until the final response). */
  get sentBytes(): Buffer | undefined {
    return this.bytes;
  }

  protected override reparse(): SipRequest | undefined {
    return TransactionBase.parseSent(this.bytes);
  }

  /** Enter Trying: called by the layer once the transaction is in its table. */
  start(): void {
    // §17.1.2.2: "When entering this state, the client transaction SHOULD set timer F to fire in
    // 64*T1 seconds. The request MUST be passed to the transport layer for transmission. If an
    // unreliable transport is in use, the client transaction MUST set timer E to fire in T1 seconds."
    this.armState(this.timerF);
    if (this.bytes !== undefined) this.transmit(this.bytes);
    if (!this.reliable && this.current === 'trying') this.armRetransmit(this.ctx.timers.E);
  }

  receiveResponse(res: SipResponse): void {
    switch (this.current) {
      case 'trying':
      case 'proceeding':
        if (res.status < 200) {
          // §17.1.2.2: "If a provisional response is received while in the 'Trying' state, the
          // response MUST be passed to the TU, and then the client transaction SHOULD move to the
          // 'Proceeding' state."
          this.current = 'proceeding';
          this.handlers.onResponse(this, res);
          return;
        }
        this.onFinal(res);
        return;
      case 'completed':
        // §17.1.2.2: "The 'Completed' state exists to buffer any additional response
        // retransmissions that may be received": absorbed.
      case 'terminated':
        return;
    }
  }

  /** Stop at once without telling the user (shutdown). */
  abort(): void {
    this.absorber?.abort();
    this.terminate();
  }

  private onFinal(res: SipResponse): void {
    // §17.1.2.2: "If a final response (status codes 200-699) is received while in the 'Trying'
    // state, the response MUST be passed to the TU, and the client transaction MUST transition to
    // the 'Completed' state." Same words for "Proceeding".
    this.current = 'completed';
    this.stopTimers();
    // "Once the client transaction enters the 'Completed' state, it MUST set Timer K to fire in T4
    // seconds for unreliable transports, and zero seconds for reliable transports." Over UDP a
    // record takes this object's place in the table and keeps Timer K (absorbing-client.ts).
    if (this.reliable) this.terminate();
    else this.absorber = this.ctx.absorbResponses(this.key);
    this.handlers.onResponse(this, res);
    this.handlers = NO_CLIENT_HANDLERS;
    this.bytes = undefined;
    this.releaseRequest();
    this.absorbing(false);
  }

  /** Timer E. */
  protected override onRetransmitTimer(): void {
    if (this.bytes === undefined) return;
    if (this.current === 'trying') {
      // §17.1.2.2: "If timer E fires while still in this state, the timer is reset, but this time
      // with a value of MIN(2*T1, T2)." Held while this thread is behind (TransactionBase.retransmit).
      this.retransmit(this.bytes, this.handlers);
      this.backOff();
    } else if (this.current === 'proceeding') {
      // "If Timer E fires while in the 'Proceeding' state, the request MUST be passed to the
      // transport layer for retransmission, and Timer E MUST be reset with a value of T2 seconds."
      this.retransmit(this.bytes, this.handlers);
      this.armRetransmit(this.ctx.timers.t2);
    }
  }

  /** Timer F (Trying, Proceeding); Timer K belongs to the record absorbing in Completed. */
  protected onStateTimer(): void {
    switch (this.current) {
      case 'trying':
      case 'proceeding':
        // §17.1.2.2: "If Timer F fires while the client transaction is still in the 'Trying' state,
        // the client transaction SHOULD inform the TU about the timeout, and then it SHOULD enter
        // the 'Terminated' state." And in 'Proceeding': "the TU MUST be informed of a timeout, and
        // the client transaction MUST transition to the terminated state."
        this.terminate();
        this.handlers.onTimeout(this);
        return;
      case 'completed':
      case 'terminated':
        return;
    }
  }

  protected onSendError(err: Error): void {
    if (this.current !== 'trying' && this.current !== 'proceeding') return;
    // §17.1.4: "The client transaction SHOULD inform the TU that a transport failure has occurred,
    // and the client transaction SHOULD transition directly to the 'Terminated' state."
    this.terminate();
    this.handlers.onTransportError(this, err);
  }
}
