/**
 * The INVITE server transaction (RFC 3261 §17.2.1, Figure 7) with RFC 6026's Accepted state.
 * It answers 100 Trying itself, at once (in the same tick, unless the user answered first),
 * re-sends the last response to request retransmissions and retransmits a non-2xx final over UDP
 * (Timer G) until the ACK.
 */
import type { SipRequest, SipResponse } from '../sip/message.js';
import { buildResponse, newTag } from '../sip/build.js';
import { serialize } from '../sip/serialize.js';
import { TransactionBase } from './transaction-base.js';
import { isRfc2543, ownCopy } from './transaction-keys.js';
import type { ServerHandlers, TransactionContext } from './transaction-types.js';
import type { Target } from '../shared/addresses.js';

export type InviteServerState = 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

export class InviteServerTransaction extends TransactionBase<InviteServerState> {
  /** Transactions started in this tick, waiting for their 100 Trying: one microtask, no closure each. */
  private static readonly tryingQueue: Array<InviteServerTransaction | undefined> = [];
  private static tryingCount = 0;

  // On the prototype: no field per transaction (thousands wait out their timers).
  get kind(): 'invite-server' {
    return 'invite-server';
  }
  /** The last response sent: a provisional as sent, a non-2xx final kept (TransactionBase.keep). */
  private lastResponse: Buffer | string | undefined;
  private lastToTag: string | undefined;
  private ownTag: string | undefined;
  /** The user forgot the request before the 100 Trying was built from it: drop it once sent. */
  private forgetAfterTrying = false;

  /** The CSeq number, which a CANCEL for this INVITE repeats (§9.1). */
  readonly seq: number;
  /** The To tag of an RFC 2543 INVITE, which its retransmissions repeat (§17.2.3); else undefined. */
  readonly rfc2543ToTag: string | undefined;

  constructor(
    ctx: TransactionContext,
    key: string,
    /** Where responses go (the transport's responseTarget for this request). */
    target: Target,
    request: SipRequest,
    private readonly handlers: ServerHandlers<InviteServerTransaction>,
  ) {
    super(ctx, key, target, request, handlers.releasesRequest === true, 'proceeding');
    this.seq = request.cseq.seq;
    this.rfc2543ToTag = isRfc2543(request) ? request.to.tag : undefined;
  }

  /**
   * The To tag for a response generated here (the 200 to a CANCEL, a local 487 or 408): the tag
   * of the last response sent, so they agree (§9.2 "SHOULD be the same"), else one of our own.
   */
  get toTag(): string {
    return this.lastToTag ?? (this.ownTag ??= newTag());
  }

  /** Called by the layer once the transaction is in its table. */
  start(): void {
    const cls = InviteServerTransaction;
    if (cls.tryingCount === 0) queueMicrotask(cls.sendQueuedTrying);
    cls.tryingQueue[cls.tryingCount++] = this;
  }

  /** Every transaction started in the tick, in order; one started meanwhile joins this run. */
  private static sendQueuedTrying(): void {
    const cls = InviteServerTransaction;
    try {
      for (let i = 0; i < cls.tryingCount; i++) {
        const tx = cls.tryingQueue[i];
        cls.tryingQueue[i] = undefined;
        tx?.sendTrying();
      }
    } finally {
      cls.tryingCount = 0;
    }
  }

  /** Send a response from the user; false when the state discards it. */
  respond(res: SipResponse): boolean {
    const status = res.status;
    if (this.current === 'accepted' && status >= 200 && status < 300) {
      // RFC 6026 §8.7: "While in the 'Accepted' state, if the TU passes a 2xx response, the server
      // transaction MUST pass the response to the transport layer for transmission."
      this.transmit(serialize(res));
      return true;
    }
    if (this.current !== 'proceeding') return false;
    const bytes = serialize(res);
    if (res.to.tag !== undefined) this.lastToTag = res.to.tag;
    if (status < 200) {
      // §17.2.1: "So long as the server transaction is in the 'Proceeding' state, each of these
      // MUST be passed to the transport layer for transmission."
      this.lastResponse = bytes;
      this.transmit(bytes);
    } else if (status < 300) {
      this.accept(bytes);
    } else {
      this.complete(bytes);
    }
    return true;
  }

  /** A retransmission of the INVITE arrived. */
  receiveRetransmission(): void {
    // §17.2.1: "If a request retransmission is received while in the 'Proceeding' state, the most
    // recent provisional response that was received from the TU MUST be passed to the transport
    // layer for retransmission." And in 'Completed': "if a request retransmission is received,
    // the server SHOULD pass the response to the transport for retransmission."
    if ((this.current === 'proceeding' || this.current === 'completed') && this.lastResponse !== undefined) {
      this.transmit(this.lastResponse);
    }
    // Confirmed absorbs it, and so does Accepted (RFC 6026 §7.1: "any retransmissions of the
    // INVITE received will match this transaction state machine and will be absorbed by the
    // machine without changing its state. These retransmissions are not passed onto the TU.")
  }

  /** An ACK matched this transaction: true when it is absorbed, false when the user routes it. */
  receiveAck(): boolean {
    switch (this.current) {
      case 'completed':
        // §17.2.1: "If an ACK is received while the server transaction is in the 'Completed'
        // state, the server transaction MUST transition to the 'Confirmed' state. As Timer G is
        // ignored in this state, any retransmissions of the response will cease."
        this.current = 'confirmed';
        this.stopTimers();
        // "When this state is entered, timer I is set to fire in T4 seconds for unreliable
        // transports, and zero seconds for reliable transports."
        if (this.reliable) this.terminate();
        else this.armState(this.ctx.timers.I);
        this.absorbing();
        return true;
      case 'confirmed':
        // §17.2.1: "The purpose of the 'Confirmed' state is to absorb any additional ACK messages".
        return true;
      case 'accepted':
        // RFC 6026 §8.7: "Any ACKs received from the network while in the 'Accepted' state MUST be
        // passed directly to the TU and not absorbed." (The ACK for a 2xx, routed end to end.)
        return false;
      case 'proceeding':
      case 'terminated':
        // No final response was sent by us: the ACK is not ours to absorb.
        return false;
    }
  }

  /** Stop at once without telling the user (shutdown). */
  abort(): void {
    this.terminate();
  }

  override forgetRequest(): void {
    // The 100 Trying of this tick is built from the request in a microtask.
    if (this.current === 'proceeding' && this.lastResponse === undefined) this.forgetAfterTrying = true;
    else super.forgetRequest();
  }

  private accept(bytes: Buffer): void {
    // §17.2.1: "If, while in the 'Proceeding' state, the TU passes a 2xx response to the server
    // transaction, the server transaction MUST pass this response to the transport layer for
    // transmission." RFC 6026 §8.5: "The server transaction MUST then transition to the
    // 'Accepted' state", where Timer L (64*T1) bounds its life.
    this.current = 'accepted';
    this.armState(this.ctx.timers.L);
    this.transmit(bytes);
    // Accepted re-sends nothing by itself (2xx retransmissions come from the TU).
    this.lastResponse = undefined;
    this.absorb();
    // Not cut short: ended early, a late INVITE retransmission would be forwarded as a new call.
    this.absorbing(false);
  }

  private complete(bytes: Buffer): void {
    // §17.2.1: "if the TU passes a response with status code from 300 to 699 to the server
    // transaction, the response MUST be passed to the transport layer for transmission, and the
    // state machine MUST enter the 'Completed' state. For unreliable transports, timer G is set to
    // fire in T1 seconds ... When the 'Completed' state is entered, timer H MUST be set to fire in
    // 64*T1 seconds for all transports."
    this.current = 'completed';
    this.lastResponse = TransactionBase.keep(bytes);
    this.armState(this.ctx.timers.H);
    if (!this.reliable) this.armRetransmit(this.ctx.timers.G);
    this.transmit(bytes);
    this.absorb();
  }

  /** Keep only what Completed and Accepted need: the tag and bytes, not the messages they came from. */
  private absorb(): void {
    if (this.lastToTag !== undefined) this.lastToTag = ownCopy(this.lastToTag);
    this.keepPeer();
    this.releaseRequest();
  }

  private sendTrying(): void {
    // §17.2.1: "The server transaction MUST generate a 100 (Trying) response unless it knows that
    // the TU will generate a provisional or final response within 200 ms". A proxy's callers
    // expect it at once; a user that already answered makes it useless. "the insertion of tags in
    // the To header field of the response ... is downgraded from MAY to SHOULD NOT."
    if (this.current === 'proceeding' && this.lastResponse === undefined) {
      this.lastResponse = serialize(buildResponse(this.request, 100, 'Trying'));
      this.transmit(this.lastResponse);
    }
    if (this.forgetAfterTrying) this.releaseRequest();
  }

  /** Timer G. */
  protected override onRetransmitTimer(): void {
    if (this.current !== 'completed' || this.lastResponse === undefined) return;
    // §17.2.1: "If timer G fires, the response is passed to the transport layer once more for
    // retransmission, and timer G is set to fire in MIN(2*T1, T2) seconds."
    this.transmit(this.lastResponse);
    this.backOff();
  }

  /** Timer H (Completed), I (Confirmed), L (Accepted); Proceeding has none. */
  protected onStateTimer(): void {
    switch (this.current) {
      case 'completed':
        // §17.2.1: "If timer H fires while in the 'Completed' state, it implies that the ACK was
        // never received. In this case, the server transaction MUST transition to the 'Terminated'
        // state, and MUST indicate to the TU that a transaction failure has occurred."
        this.terminate();
        this.handlers.onTimeout?.(this);
        return;
      case 'confirmed':
        // §17.2.1: "Once timer I fires, the server MUST transition to the 'Terminated' state."
        this.terminate();
        return;
      case 'accepted':
        // RFC 6026 §8.7: "If Timer L fires while the INVITE server transaction is in the 'Accepted'
        // state, the transaction MUST transition to the 'Terminated' state."
        this.ctx.acceptedEnded(this.key);
        this.terminate();
        return;
      case 'proceeding':
      case 'terminated':
        return;
    }
  }

  protected onSendError(err: Error): void {
    // RFC 6026 §8.8 (replacing §17.2.4): "the server transaction SHOULD inform the TU that a
    // failure has occurred, and MUST remain in the current state." Its timers still end it, and
    // request retransmissions keep being absorbed meanwhile.
    if (this.current !== 'terminated') this.handlers.onTransportError?.(this, err);
  }
}
