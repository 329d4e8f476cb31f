/** A TLS error in one of a bounded set of reasons (a metric label), from OpenSSL's and Node's codes. */
import type { TlsFailureReason } from '../shared/events.js';

export function tlsFailureReason(error: Error & { code?: string }): TlsFailureReason {
  const code = error.code ?? '';
  const text = `${code} ${error.message}`.toUpperCase();
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT' || text.includes('TIMEOUT') || code === 'ETIMEDOUT') return 'timeout';
  if (text.includes('CERT') || text.includes('UNKNOWN_CA') || text.includes('SELF_SIGNED') || text.includes('PEER_DID_NOT_RETURN') || code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'certificate';
  if (code === 'ECONNRESET' || code === 'EPIPE' || text.includes('SOCKET DISCONNECTED') || text.includes('SOCKET HANG UP')) return 'reset';
  if (code.startsWith('ERR_SSL_') || text.includes('PROTOCOL') || text.includes('CIPHER') || text.includes('WRONG_VERSION')) return 'protocol';
  return 'other';
}
