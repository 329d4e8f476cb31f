/**
 * Kamailio's sl_filter_ACK: every stateless reply of this process (a shed 503, an ACL 403) carries
 * one To tag, and the ACK a UAC sends for it (same To, §17.1.1.3) is recognised from its bytes and
 * absorbed before any parse: under overload each refused call costs its 503 and nothing more, and
 * those ACKs are not counted as unroutable drops. The tag is 64 random bits, so no dialog of the
 * farm can carry it. It is the main thread's; every worker adopts it at start, so the ACK is
 * absorbed by whichever thread reads it, never handed to another one.
 */
import { newTag } from './build.js';
import { findToHeader, lineEnd } from './header-scan.js';

/** The To tag of this process's stateless replies (the main thread's; adoptStatelessTag in a worker). */
export let STATELESS_TAG = newTag();

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
let needle = Buffer.from(`tag=${STATELESS_TAG}`, 'latin1');

/** A worker thread takes the main thread's tag before it sends or reads anything. */
export function adoptStatelessTag(tag: string): void {
  STATELESS_TAG = tag;
  needle = Buffer.from(`tag=${tag}`, 'latin1');
}

/** An ACK whose To header carries STATELESS_TAG (a byte scan of the headers, no parse). */
export function isAckToStatelessReply(bytes: Buffer): boolean {
  if (bytes.length < 4 || bytes[0] !== 0x41 || bytes[1] !== 0x43 || bytes[2] !== 0x4b || bytes[3] !== SP) return false;
  const to = findToHeader(bytes);
  if (to < 0) return false;
  const found = bytes.indexOf(needle, to);
  return found >= 0 && found < lineEnd(bytes, to) && !isTagChar(bytes[found + needle.length]);
}

/** A byte that would continue the tag token (so the match was only a prefix of another tag). */
function isTagChar(c: number | undefined): boolean {
  return c !== undefined && c !== CR && c !== LF && c !== SP && c !== HT && c !== 0x3b && c !== 0x2c;
}
