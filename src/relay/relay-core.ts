/**
 * What a ForwardContext needs from the relay that owns it, owned by the context's side: it names
 * no ForwardContext, so the two files do not import each other.
 */
import type { Logger } from '../shared/logger.js';
import type { PressureGauge } from '../shared/pressure.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import type { ClientTransaction, ClientTransactionHandlers, ServerTransaction } from '../transaction/transactions.js';
import type { InviteClientTransaction } from '../transaction/invite-client-transaction.js';
import type { Target } from '../shared/addresses.js';
import type { LocalIdentity } from './local-identity.js';
import type { AuthAnswers, LocalSocket, RelayDispatcher, RelayIo, Source, SourceGroups } from './relay-ports.js';
import type { Flow, FlowTokens } from './flow-token.js';

export interface RelayDeps {
  dispatcher: RelayDispatcher;
  io: RelayIo;
  /** sipdispatch's own pressure (load shedding, excused timeouts); never pressured when absent. */
  pressure?: PressureGauge;
  /** Auth answers relayed from the farm (auth-failure bans). */
  authAnswers?: AuthAnswers;
  /** Address groups for routes with a source_group; nobody is in a group when absent. */
  groups?: SourceGroups;
  /** Signs and reads flow tokens; without it no request gets one. */
  flows?: FlowTokens;
  /** Sources the max_transactions cap never refuses (`trusted` networks, the farm); none when absent. */
  trusted?: (address: string) => boolean;
  /** Sources load shedding refuses last: the `trusted` networks as configured (a carrier); none when absent. */
  shedLast?: (address: string) => boolean;
}

export interface RelayCore {
  /** Selection and bookkeeping: failures, call load. */
  readonly dispatcher: RelayDispatcher;
  /** A host name to an address; IP literals come back as they are, synchronously. */
  resolve(host: string): string | Promise<string>;
  readonly identity: LocalIdentity;
  readonly log: Logger;
  readonly pressure: PressureGauge;
  readonly authAnswers: AuthAnswers | undefined;
  /** The flow token for the client-facing Record-Route of a request from `source`; undefined when it is not a flow. */
  flowToken(req: SipRequest, source: Source): string | undefined;
  /** The token of a flow a request is sent on (the destination side of a double Record-Route). */
  encodeFlow(flow: Flow): string | undefined;
  /** Kamailio's udp_mtu (0 = off): bigger requests to UDP destinations go over TCP. */
  readonly udpMtu: number;
  /** This thread's own UDP socket toward a farm destination at address:port (RelayIo.farmSocket), or none. */
  farmSocket(address: string, port: number): LocalSocket | undefined;
  /** Start a client transaction whose events go to `handlers`. */
  createClient(req: SipRequest, target: Target, handlers: ClientTransactionHandlers): ClientTransaction;
  /** Pop our Via and send a 2xx on towards the caller without a transaction (§16.7). */
  forwardStateless(res: SipResponse): void;
  /** Send CANCEL for a pending INVITE branch (§16.10). */
  cancelBranch(tx: InviteClientTransaction): void;
  /** Answer upstream on the server transaction. */
  respond(server: ServerTransaction, res: SipResponse, local: boolean): void;
  /** Whether the request's current branch has had no response at all yet (max_transactions counts those). */
  awaiting(server: ServerTransaction, silent: boolean): void;
  /** The context answered its final response (the server transaction may have dropped its request). */
  finished(server: ServerTransaction, status: number, callId: string): void;
}
