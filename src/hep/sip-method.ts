/**
 * The method a raw SIP message belongs to, read from its bytes without a parse: a request's first
 * token, a response's CSeq method. Only run when capture is limited to some methods.
 */
const SIP_SLASH = Buffer.from('SIP/');
const CSEQ = Buffer.from('\ncseq');

/** Upper-case method, or '' when it cannot be read. */
export function sipMethodOf(bytes: Buffer): string {
  if (bytes.length >= 4 && bytes.compare(SIP_SLASH, 0, 4, 0, 4) === 0) return cseqMethod(bytes);
  const space = bytes.indexOf(0x20);
  return space > 0 ? bytes.toString('latin1', 0, space).toUpperCase() : '';
}

function cseqMethod(bytes: Buffer): string {
  const end = headerEnd(bytes);
  for (let at = bytes.indexOf(0x0a); at !== -1 && at < end; at = bytes.indexOf(0x0a, at + 1)) {
    if (!startsWithCaseless(bytes, at, CSEQ)) continue;
    let i = at + CSEQ.length;
    while (i < end && (bytes[i] === 0x20 || bytes[i] === 0x09)) i++;
    if (bytes[i] !== 0x3a) continue;
    const line = bytes.toString('latin1', i + 1, lineEnd(bytes, i, end)).trim();
    const parts = line.split(/\s+/);
    return (parts[1] ?? '').toUpperCase();
  }
  return '';
}

function headerEnd(bytes: Buffer): number {
  const end = bytes.indexOf('\r\n\r\n');
  return end === -1 ? bytes.length : end + 2;
}

function lineEnd(bytes: Buffer, from: number, end: number): number {
  const nl = bytes.indexOf(0x0a, from);
  return nl === -1 || nl > end ? end : nl;
}

function startsWithCaseless(bytes: Buffer, at: number, lower: Buffer): boolean {
  if (at + lower.length > bytes.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if ((bytes[at + i]! | 0x20) !== (lower[i]! | 0x20)) return false;
  }
  return true;
}
