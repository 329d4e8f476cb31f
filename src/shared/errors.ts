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
  LIST_ENTRY: 'a dispatcher.list entry is invalid (bad URI, attribute or number)',
  // runtime and sockets
  LISTEN_FAILED: 'a SIP or HTTP listener could not be opened (address in use, no permission, bad address)',
  RELOAD_FAILED: 'a reload was refused; the previous list stays in force',
  RELOAD_ONGOING: 'a reload was asked for within reload_delta of the previous one',
  // admin API and RPC
  RPC_METHOD_NOT_FOUND: 'the JSON-RPC method does not exist',
  RPC_INVALID_PARAMS: 'the JSON-RPC or HTTP request parameters are missing or wrong',
  RPC_PARSE_ERROR: 'the JSON-RPC request body is not valid JSON',
  RPC_INVALID_REQUEST: 'the JSON-RPC envelope is not a valid request',
  RPC_UNKNOWN_STATE: 'set_state was given a state letter it does not know',
  RPC_STATE_UPDATE_FAILED: 'set_state matched no destination',
  RPC_NO_SETS: 'the destination list is empty',
  RPC_UNAUTHORIZED: 'the admin API token is missing or wrong',
  RPC_CONNECT: 'the rpc command could not reach the admin API',
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
