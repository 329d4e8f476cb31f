/**
 * Cuts a TCP byte stream into SIP messages by Content-Length (RFC 3261 §18.3), across partial and
 * pipelined chunks, and recognises RFC 5626 §3.5.1 keepalives: "\r\n\r\n" between messages is a
 * ping (the transport answers "\r\n"), a lone "\r\n" is a pong and is skipped.
 *
 * Framing errors are fatal: once a frame boundary is lost the stream cannot be resynchronised, so
 * the transport closes the connection. Parsing the framed bytes is parseMessage's job.
 */
import type { ParseError } from './message.js';
import type { ErrorCode } from '../shared/errors.js';
import { findKnownHeader, keyOfHeader } from './header-names.js';
import { fieldValue, newFieldSpan, scanField } from './header-scanner.js';
import { collectPartial } from './partial-headers.js';
import { parseContentLength } from './scalar-headers.js';

export type FramedItem = { kind: 'message'; bytes: Buffer } | { kind: 'keepalive' } | { kind: 'error'; error: ParseError; fatal: boolean };

export interface StreamFramerOptions {
  /** Largest message (headers and body) in bytes. */
  maxMessageSize: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CR = 13;
const LF = 10;
const EMPTY = Buffer.alloc(0);

/** The body length a header section announces, or the reason it cannot be framed. */
type LengthResult = { ok: true; length: number } | { ok: false; code: ErrorCode; reason: string };

/** Reused by every call (framing is synchronous). */
const span = newFieldSpan();

/** True when the field at `start` is Content-Length (or "l"), found without slicing its name. */
function isContentLength(head: string, start: number): boolean {
  if (span.colon === -1) return false;
  const code = findKnownHeader(head, start, span.nameEnd);
  return code !== -1 && keyOfHeader(code) === 'content-length';
}

/** Content-Length of a header section (start line first, every line ending in LF). */
function announcedLength(head: string): LengthResult {
  let length = -1;
  let i = head.indexOf('\n') + 1;
  while (i > 0 && i < head.length) {
    scanField(head, i, span);
    if (isContentLength(head, i)) {
      const n = span.folded ? parseContentLength(fieldValue(head, span)) : parseContentLength(head, span.valueStart, span.valueEnd);
      if (n < 0 || (length >= 0 && n !== length)) return { ok: false, code: 'SIP_BAD_CONTENT_LENGTH', reason: 'Bad Content-Length' };
      length = n;
    }
    i = span.next;
  }
  // RFC 3261 §18.3: on a stream, Content-Length MUST be present.
  return length < 0 ? { ok: false, code: 'SIP_BAD_CONTENT_LENGTH', reason: 'Missing Content-Length' } : { ok: true, length };
}

export class StreamFramer {
  private readonly maxMessageSize: number;
  private pending: Buffer = EMPTY;
  /** Where the search for the end of the current header section resumes. */
  private scanFrom = 0;
  /** Length of the message at the head of `pending`, once its headers are complete. */
  private frameLength = -1;
  private failed = false;

  constructor(options: StreamFramerOptions) {
    this.maxMessageSize = options.maxMessageSize;
  }

  /** Bytes of an incomplete message held (0 between messages). */
  get buffered(): number {
    return this.pending.length;
  }

  /** Feeds bytes; returns the items completed by them (possibly none). Chunks must not be reused. */
  push(chunk: Buffer): FramedItem[] {
    if (this.failed) return [];
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: FramedItem[] = [];
    let off = 0;
    while (off < this.pending.length) {
      const step = this.next(off, out);
      if (step === off) break;
      off = step;
    }
    this.pending = off === 0 ? this.pending : this.pending.subarray(off);
    this.scanFrom = Math.max(0, this.scanFrom - off);
    return out;
  }

  /** Consumes one item at `off` into `out`; returns the new offset (`off` when more bytes are needed). */
  private next(off: number, out: FramedItem[]): number {
    const p = this.pending;
    if (this.frameLength < 0 && p[off] === CR) {
      const crlf = this.crlfAt(off, out);
      if (crlf !== -2) return crlf === -1 ? off : crlf;
    }
    if (this.frameLength < 0) {
      const headEnd = p.indexOf(CRLFCRLF, Math.max(off, this.scanFrom));
      if (headEnd === -1) {
        this.scanFrom = Math.max(off, p.length - 3);
        return p.length - off > this.maxMessageSize ? this.fatal(out, 'SIP_TOO_LARGE', 'Message Too Large', 513, undefined) : off;
      }
      const head = p.toString('latin1', off, headEnd + 2);
      const length = announcedLength(head);
      if (!length.ok) return this.fatal(out, length.code, length.reason, 400, head);
      this.frameLength = headEnd + 4 - off + length.length;
      if (this.frameLength > this.maxMessageSize) return this.fatal(out, 'SIP_TOO_LARGE', 'Message Too Large', 513, head);
    }
    if (p.length - off < this.frameLength) return off;
    const end = off + this.frameLength;
    out.push({ kind: 'message', bytes: p.subarray(off, end) });
    this.frameLength = -1;
    this.scanFrom = end;
    return end;
  }

  /**
   * CRLFs between messages: the offset after a keepalive or a lone CRLF, -1 when more bytes are
   * needed to tell, -2 when this is no CRLF sequence.
   */
  private crlfAt(off: number, out: FramedItem[]): number {
    const p = this.pending;
    const left = p.length - off;
    if (left < 2) return -1;
    if (p[off + 1] !== LF) return -2;
    if (left < 3 || (left < 4 && p[off + 2] === CR)) return -1;
    if (p[off + 2] === CR && p[off + 3] === LF) {
      out.push({ kind: 'keepalive' });
      return off + 4;
    }
    return off + 2;
  }

  private fatal(out: FramedItem[], code: ErrorCode, reason: string, status: number, head: string | undefined): number {
    this.failed = true;
    const partial = head === undefined ? undefined : collectPartial(head);
    out.push({ kind: 'error', error: { code, reason, status, partial }, fatal: true });
    const consumed = this.pending.length;
    this.pending = EMPTY;
    return consumed;
  }
}
