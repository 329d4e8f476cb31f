/**
 * Whether a datagram may be a new initial request of one of a set of methods, from its bytes: its
 * request line starts with the method, and its To header has no tag parameter. It orders the UDP
 * intake (transport/intake-queue.ts) and decides nothing: a request it misreads is still parsed
 * and judged by the relay.
 */
import { ascii, findToHeader, lineEnd, startsWith } from './header-scan.js';

const SP = 32;
const HT = 9;
const SEMICOLON = 59;
const EQUALS = 61;
const CANCEL = ascii('CANCEL ');

/** A CANCEL's request line. */
export function isCancel(bytes: Uint8Array): boolean {
  return startsWith(bytes, 0, CANCEL);
}

export class InitialRequestScan {
  /** Each method with its trailing space, upper case (methods are case-sensitive, RFC 3261 §7.1). */
  private readonly lines: Uint8Array[];

  constructor(methods: Iterable<string>) {
    this.lines = [...methods].map((m) => ascii(`${m} `));
  }

  /** A request of one of the methods whose To header carries no tag. */
  matches(bytes: Uint8Array): boolean {
    let method = false;
    for (const line of this.lines) {
      if (startsWith(bytes, 0, line)) {
        method = true;
        break;
      }
    }
    if (!method) return false;
    const to = findToHeader(bytes);
    return to >= 0 && !hasTag(bytes, to, lineEnd(bytes, to));
  }
}

/** A `;tag=` parameter (any case, blanks around the name) in [start, end). */
function hasTag(bytes: Uint8Array, start: number, end: number): boolean {
  for (let at = bytes.indexOf(SEMICOLON, start); at >= 0 && at < end; at = bytes.indexOf(SEMICOLON, at + 1)) {
    let i = skipBlanks(bytes, at + 1, end);
    if (i + 3 > end || (bytes[i]! | 0x20) !== 0x74 || (bytes[i + 1]! | 0x20) !== 0x61 || (bytes[i + 2]! | 0x20) !== 0x67) continue;
    i = skipBlanks(bytes, i + 3, end);
    if (bytes[i] === EQUALS) return true;
  }
  return false;
}

function skipBlanks(bytes: Uint8Array, at: number, end: number): number {
  while (at < end && (bytes[at] === SP || bytes[at] === HT)) at++;
  return at;
}
