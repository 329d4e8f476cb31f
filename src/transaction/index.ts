/** The public API of the transaction layer (what the relay, the prober and the app use). */
export { TransactionLayer, type RequestDisposition, type TransactionLayerOptions } from './transaction-layer.js';
export { timerValues, type TimerConfig, type TimerValues } from './timers.js';
export { buildAck, buildCancel } from './hop-by-hop.js';
export { MAGIC_COOKIE } from './transaction-keys.js';
export type { SendErrorHandler, Target, TransactionTransport, TransportName } from './transport.js';
export type {
  ClientTimeouts,
  ClientTransaction,
  ClientTransactionHandlers,
  ServerTransaction,
  ServerTransactionHandlers,
  Transaction,
} from './transaction-types.js';
export type { InviteClientState, InviteClientTransaction } from './invite-client-transaction.js';
export type { NonInviteClientState, NonInviteClientTransaction } from './non-invite-client-transaction.js';
export type { InviteServerState, InviteServerTransaction } from './invite-server-transaction.js';
export type { NonInviteServerState, NonInviteServerTransaction } from './non-invite-server-transaction.js';
