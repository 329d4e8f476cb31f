/** RFC 3261 §19.1.2: a SIP URI without a port means 5060, a SIPS URI 5061 (TLS). */
export function defaultPort(scheme: string): number {
  return scheme === 'sips' ? 5061 : 5060;
}
