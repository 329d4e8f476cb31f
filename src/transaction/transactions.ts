/**
 * The four machines as their users see them, and the handler interfaces bound to them: what the
 * relay, the prober and the layer import (transaction-types.ts stays free of the machines).
 */
import type { InviteClientTransaction } from './invite-client-transaction.js';
import type { InviteServerTransaction } from './invite-server-transaction.js';
import type { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import type { NonInviteServerTransaction } from './non-invite-server-transaction.js';
import type { ClientHandlers, ServerHandlers } from './transaction-types.js';

export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;
export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;
export type Transaction = ClientTransaction | ServerTransaction;

export type ClientTransactionHandlers = ClientHandlers<ClientTransaction>;
export type ServerTransactionHandlers = ServerHandlers<ServerTransaction>;
