/** What a ForwardContext needs from the relay that owns it. */
import type { Logger } from '../shared/logger.js';
import type { PressureGauge } from '../shared/pressure.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import type { ClientTransaction, ServerTransaction } from '../transaction/transaction-types.js';
import type { InviteClientTransaction } from '../transaction/invite-client-transaction.js';
import type { Target } from '../transaction/transport.js';
import type { ForwardContext } from './forward-context.js';
import type { LocalIdentity } from './local-identity.js';
import type { RelayDispatcher, RelayIo } from './relay-ports.js';

export interface RelayDeps {
  dispatcher: RelayDispatcher;
  io: RelayIo;
  /** sipdispatch's own pressure (load shedding, excused timeouts); never pressured when absent. */
  pressure?: PressureGauge;
}

export interface RelayCore {
  readonly deps: RelayDeps;
  readonly identity: LocalIdentity;
  readonly log: Logger;
  readonly pressure: PressureGauge;
  /** Start a client transaction whose events go to `ctx`. */
  createClient(req: SipRequest, target: Target, ctx: ForwardContext): ClientTransaction;
  /** Pop our Via and send a 2xx on towards the caller without a transaction (§16.7). */
  forwardStateless(res: SipResponse): void;
  /** Send CANCEL for a pending INVITE branch (§16.10). */
  cancelBranch(tx: InviteClientTransaction): void;
  /** Answer upstream on the server transaction. */
  respond(server: ServerTransaction, res: SipResponse, local: boolean): void;
  /** The context answered its final response (the server transaction may have dropped its request). */
  finished(ctx: ForwardContext, status: number, callId: string): void;
}
