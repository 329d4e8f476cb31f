/**
 * Every error code the program can print or answer, with its meaning. The README's error table
 * lists each of them (a test checks it). Add new codes here, never inline strings elsewhere.
 */
export const ERROR_CODES = {
  // command line and config
  CLI_BAD_FLAG: 'an unknown command-line flag or a flag with a bad value',
  CONFIG_READ: 'the config file could not be read',
  CONFIG_PARSE: 'the config file is not valid YAML or JSON',
  CONFIG_INVALID: 'a config key has a wrong type or value, or is unknown',
  // dispatcher.list
  LIST_READ: 'the dispatcher list file could not be read',
  LIST_SYNTAX: 'a dispatcher.list line is malformed (the whole file is rejected)',
  ACL_FILE: 'the address_file could not be read or a line of it is malformed (the old table stays in force)',
  LIST_ENTRY: 'a dispatcher.list entry is invalid (bad URI, attribute or number)',
  // runtime and sockets
  TLS_CONFIG: 'a TLS certificate, key or CA file could not be read or is not valid PEM, or a tls:/wss: listener has no certificate (on reload the old certificates stay in force)',
  LISTEN_FAILED: 'a SIP or HTTP listener could not be opened (address in use, no permission, bad address)',
  WORKER_FAILED: 'a relay worker thread (workers > 1) could not start',
  SEND_FAILED: 'a SIP message could not be sent (no listener for the transport, connect refused or timed out, connection lost)',
  TXN_INVALID_REQUEST: 'a client transaction was asked for an ACK, or for a request whose top Via has no z9hG4bK branch',
  TXN_DUPLICATE: 'a client transaction with the same branch and CSeq method is already live',
  TXN_RELEASED: 'a transaction user read the request of a transaction that had already dropped it (a bug: see the log)',
  WEBHOOK_FAILED: 'a state-change webhook could not be delivered after its retries; the event is dropped',
  WEBHOOK_QUEUE_FULL: 'the webhook queue was full (or closing timed out); the oldest events were dropped',
  CLUSTER_UNAVAILABLE: 'the cluster\'s Redis is unreachable or too slow: the instance runs in local mode (probes everything, keeps its changes) until it is back',
  // admin API and RPC
  RPC_INVALID_PARAMS: 'the JSON-RPC or HTTP request parameters are missing or wrong',
  RPC_UNKNOWN_STATE: 'set_state was given a state letter it does not know',
  RPC_STATE_UPDATE_FAILED: 'set_state matched no destination',
  RPC_UNAUTHORIZED: 'the admin API token is missing or wrong',
  RPC_CONNECT: 'the rpc command could not reach the admin API',
  ADMIN_NOT_FOUND: 'no admin API endpoint answers this method and path',
  EDGE_NOT_BANNED: 'DELETE /edge/bans/NAME named a source that is not banned',
  ADMIN_BAD_BODY: 'the admin API request body is not valid JSON, too large, or of an unsupported content type',
  ADMIN_INTERNAL: 'the admin API failed unexpectedly while serving a valid request (a bug: see the log)',
  // SIP parser
  SIP_TOO_LARGE: 'a SIP message is larger than the configured size limit (513 Message Too Large)',
  SIP_BAD_START_LINE: 'the request line or status line of a SIP message is malformed',
  SIP_VERSION_NOT_SUPPORTED: 'the SIP version is not SIP/2.0 (505 Version Not Supported)',
  SIP_BAD_URI: 'a SIP, SIPS or TEL URI is malformed (Request-URI, or a URI given to a SIP edit)',
  SIP_NO_HEADER_END: 'a SIP message has no empty line after its headers',
  SIP_BAD_HEADER: 'a SIP header line is malformed (no colon, bad name, bad name-addr, unterminated quote)',
  SIP_MISSING_HEADER: 'a mandatory SIP header (Via, From, To, Call-ID, CSeq) is missing',
  SIP_DUPLICATE_HEADER: 'a single-valued SIP header (From, To, Call-ID, CSeq, Max-Forwards, Content-Length) appears twice',
  SIP_BAD_VIA: 'a Via header value is malformed',
  SIP_BAD_CSEQ: 'the CSeq number is not a 32-bit unsigned integer or its method is malformed',
  SIP_CSEQ_METHOD_MISMATCH: 'the CSeq method differs from the request method',
  SIP_BAD_MAX_FORWARDS: 'Max-Forwards is not an integer from 0 to 255',
  SIP_BAD_CONTENT_LENGTH: 'Content-Length is negative, not a number, or missing on a stream transport',
  SIP_BAD_EXPIRES: 'Expires is not a non-negative integer',
  SIP_BODY_TRUNCATED: 'Content-Length is larger than the body bytes received',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error with a stable code and the context an operator needs (file, line, address...). */
export class SipDispatchError extends Error {
  readonly code: ErrorCode;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SipDispatchError';
    this.code = code;
    this.context = Object.freeze({ ...context });
  }
}

export const isSipDispatchError = (e: unknown): e is SipDispatchError => e instanceof SipDispatchError;
