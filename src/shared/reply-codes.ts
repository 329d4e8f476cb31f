/**
 * Kamailio's ds_ping_reply_codes: which keepalive replies besides 2xx count as success. Parsed once
 * where the config is resolved; the dispatcher's health rules read the result.
 */

export interface ReplyCodeRules {
  /** Exact codes accepted besides 2xx (100..699). */
  readonly codes: readonly number[];
  /** Classes accepted besides 2 (1..6): 4 accepts every 4xx. */
  readonly classes: readonly number[];
}

/**
 * ds_ping_reply_codes, e.g. `class=2;code=403;code=488`: `code=N` kept for 100 <= N < 700,
 * `class=N` for 1 <= N < 7; anything else is ignored and named in a warning.
 */
export function parseReplyCodes(text: string): { rules: ReplyCodeRules; ignored: string[]; warnings: string[] } {
  const codes: number[] = [];
  const classes: number[] = [];
  const ignored: string[] = [];
  for (const part of text.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const m = /^(code|class)\s*=\s*(\d+)$/i.exec(p);
    const n = Number(m?.[2]);
    const kind = m?.[1]?.toLowerCase();
    if (kind === 'code' && n >= 100 && n < 700) codes.push(n);
    else if (kind === 'class' && n >= 1 && n < 7) classes.push(n);
    else ignored.push(p);
  }
  const warnings = ignored.map((p) => `ds_ping_reply_codes: "${p}" ignored (expected code=100..699 or class=1..6)`);
  if (codes.includes(408) || classes.includes(4)) warnings.push('ds_ping_reply_codes: 408 is accepted, so keepalive timeouts will count as successes');
  return { rules: { codes, classes }, ignored, warnings };
}
