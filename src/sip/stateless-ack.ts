/**
 * Kamailio's sl_filter_ACK: every stateless reply of this process (a shed 503, an ACL 403) carries
 * one To tag, and the ACK a UAC sends for it (same To, §17.1.1.3) is recognised from its bytes and
 * absorbed before any parse: under overload each refused call costs its 503 and nothing more, and
 * those ACKs are not counted as unroutable drops. The tag is 64 random bits, so no dialog of the
 * farm can carry it. It is the main thread's; every worker adopts it at start, so the ACK is
 * absorbed by whichever thread reads it, never handed to another one.
 */
import { newTag } from './build.js';

/** The To tag of this process's stateless replies (the main thread's; adoptStatelessTag in a worker). */
export let STATELESS_TAG = newTag();

const LF = 10;
const CR = 13;
const SP = 32;
const HT = 9;
const COLON = 58;
let needle = Buffer.from(`tag=${STATELESS_TAG}`, 'latin1');

/** A worker thread takes the main thread's tag before it sends or reads anything. */
export function adoptStatelessTag(tag: string): void {
  STATELESS_TAG = tag;
  needle = Buffer.from(`tag=${tag}`, 'latin1');
}

/** An ACK whose To header carries STATELESS_TAG (a byte scan of the headers, no parse). */
export function isAckToStatelessReply(bytes: Buffer): boolean {
  if (bytes.length < 4 || bytes[0] !== 0x41 || bytes[1] !== 0x43 || bytes[2] !== 0x4b || bytes[3] !== SP) return false;
  let at = bytes.indexOf(LF) + 1;
  while (at > 0 && at < bytes.length && bytes[at] !== CR && bytes[at] !== LF) {
    let end = bytes.indexOf(LF, at);
    if (end < 0) end = bytes.length;
    if (isToName(bytes, at, end)) {
      const found = bytes.indexOf(needle, at);
      return found >= 0 && found < end && !isTagChar(bytes[found + needle.length]);
    }
    at = end + 1;
  }
  return false;
}

/** The line at `start` is a To header (`To` or compact `t`, any case, spaces before the colon). */
function isToName(bytes: Buffer, start: number, end: number): boolean {
  const first = bytes[start]! | 0x20;
  if (first !== 0x74) return false;
  let i = start + 1;
  if (i < end && (bytes[i]! | 0x20) === 0x6f) i++;
  while (i < end && (bytes[i] === SP || bytes[i] === HT)) i++;
  return bytes[i] === COLON;
}

/** A byte that would continue the tag token (so the match was only a prefix of another tag). */
function isTagChar(c: number | undefined): boolean {
  return c !== undefined && c !== CR && c !== LF && c !== SP && c !== HT && c !== 0x3b && c !== 0x2c;
}
