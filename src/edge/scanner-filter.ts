/**
 * Kamailio's secfilter for scanners: a User-Agent containing a blocklisted word (case-insensitive)
 * gets silence, so sipvicious and friends learn nothing, not even that SIP answers here.
 */
export const DEFAULT_SCANNER_AGENTS: readonly string[] = [
  'friendly-scanner', 'sipvicious', 'sipcli', 'VaxSIPUserAgent', 'iWar', 'sip-scan', 'SIPVicious', 'sundayddr', 'pplsip', 'smap',
];

export class ScannerFilter {
  private readonly words: readonly string[];

  constructor(agents: readonly string[]) {
    this.words = [...new Set(agents.map((a) => a.toLowerCase()))];
  }

  isScanner(userAgent: string | undefined): boolean {
    if (userAgent === undefined || this.words.length === 0) return false;
    const ua = userAgent.toLowerCase();
    return this.words.some((w) => ua.includes(w));
  }
}
