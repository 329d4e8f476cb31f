/**
 * Re-emits a message. Header fields that still carry their wire position are copied from the
 * source bytes (runs of adjacent fields in one copy, the body too when it follows them there), so
 * whatever the relay did not edit goes out byte for byte; the start line and edited or added fields
 * are written as text. The body is untouched and Content-Length always matches it (added when the
 * message had none, as a stream needs one).
 *
 * The output is sized first and written into one Buffer, without building the text as strings.
 */
import type { HeaderField, SipMessage } from './message.js';

const CR = 13;
const LF = 10;
const CONTENT_LENGTH = 'Content-Length';

/** True when the field is copied from the source; Content-Length only while it matches the body. */
function fromWire(f: HeaderField, source: Buffer | undefined, lengthOk: boolean): boolean {
  return source !== undefined && f.wireStart !== undefined && f.wireEnd !== undefined && (lengthOk || f.key !== 'content-length');
}

function digitCount(n: number): number {
  let count = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    count++;
  }
  return count;
}

function startLineLength(msg: SipMessage): number {
  return msg.kind === 'request'
    ? msg.method.length + msg.uri.length + msg.version.length + 2
    : msg.version.length + digitCount(msg.status) + msg.reason.length + 2;
}

/** Bytes of `Name: value` for a field written as text. */
function writtenLength(f: HeaderField, bodyLength: number): number {
  return f.name.length + 2 + (f.key === 'content-length' ? digitCount(bodyLength) : f.value.length);
}

/** The message as bytes. */
export function serialize(msg: SipMessage): Buffer {
  const source = msg.source;
  const bodyLength = msg.body.length;
  const lengthOk = msg.contentLength === bodyLength;
  let size = startLineLength(msg) + 4 + bodyLength;
  let hasLength = false;
  for (const f of msg.headers) {
    if (f.key === 'content-length') hasLength = true;
    size += 2 + (fromWire(f, source, lengthOk) ? (f.wireEnd as number) - (f.wireStart as number) : writtenLength(f, bodyLength));
  }
  if (!hasLength) size += CONTENT_LENGTH.length + 4 + digitCount(bodyLength);
  const out = Buffer.allocUnsafe(size);
  const off = writeHeaders(msg, out, crlf(out, writeStartLine(msg, out)), bodyLength, lengthOk, hasLength);
  if (off < size) msg.body.copy(out, off);
  return out;
}

/**
 * Writes the header fields and the blank line from `off`; returns where the body goes, or the end
 * of the output when the body was copied with the last run of fields.
 */
function writeHeaders(msg: SipMessage, out: Buffer, off: number, bodyLength: number, lengthOk: boolean, hasLength: boolean): number {
  const source = msg.source;
  let runStart = -1;
  let runEnd = -1;
  for (const f of msg.headers) {
    if (fromWire(f, source, lengthOk)) {
      const s = f.wireStart as number;
      // Extend the run when only a CRLF separates this field from the previous one.
      if (runStart !== -1 && s === runEnd + 2 && isCrlf(source as Buffer, runEnd)) {
        runEnd = f.wireEnd as number;
        continue;
      }
      if (runStart !== -1) off = crlf(out, off + (source as Buffer).copy(out, off, runStart, runEnd));
      runStart = s;
      runEnd = f.wireEnd as number;
      continue;
    }
    if (runStart !== -1) off = crlf(out, off + (source as Buffer).copy(out, off, runStart, runEnd));
    runStart = -1;
    off = crlf(out, writeField(out, off, f.name, f.key === 'content-length' ? undefined : f.value, bodyLength));
  }
  if (runStart !== -1 && hasLength && bodyFollows(msg, source as Buffer, runEnd)) {
    // The blank line and the body sit right after the run in the source: one copy for all three.
    return off + (source as Buffer).copy(out, off, runStart, runEnd + 4 + bodyLength);
  }
  if (runStart !== -1) off = crlf(out, off + (source as Buffer).copy(out, off, runStart, runEnd));
  if (!hasLength) off = crlf(out, writeField(out, off, CONTENT_LENGTH, undefined, bodyLength));
  return crlf(out, off);
}

/** True when the source has CRLF CRLF at `at`, then the body's own bytes. */
function bodyFollows(msg: SipMessage, source: Buffer, at: number): boolean {
  const body = msg.body;
  if (!isCrlf(source, at) || !isCrlf(source, at + 2)) return false;
  return body.length === 0 || (body.buffer === source.buffer && body.byteOffset === source.byteOffset + at + 4);
}

function isCrlf(b: Buffer, at: number): boolean {
  return b[at] === CR && b[at + 1] === LF;
}

function writeStartLine(msg: SipMessage, out: Buffer): number {
  if (msg.kind === 'request') {
    const uriAt = put(out, 0, msg.method) + 1;
    const versionAt = put(out, uriAt, msg.uri) + 1;
    out[uriAt - 1] = 32;
    out[versionAt - 1] = 32;
    return put(out, versionAt, msg.version);
  }
  const statusAt = put(out, 0, msg.version) + 1;
  const reasonAt = putNumber(out, statusAt, msg.status) + 1;
  out[statusAt - 1] = 32;
  out[reasonAt - 1] = 32;
  return put(out, reasonAt, msg.reason);
}

/** Writes `name: value` (the body length when `value` is undefined); returns the end. */
function writeField(out: Buffer, off: number, name: string, value: string | undefined, bodyLength: number): number {
  off = put(out, off, name);
  out[off] = 58;
  out[off + 1] = 32;
  return value === undefined ? putNumber(out, off + 2, bodyLength) : put(out, off + 2, value);
}

/** Below this length a char loop beats Buffer.write, a call into C++. */
const SHORT = 32;

/** Writes the byte string `s` at `off`; returns the end. */
function put(out: Buffer, off: number, s: string): number {
  if (s.length >= SHORT) return off + out.write(s, off, 'latin1');
  for (let i = 0; i < s.length; i++) out[off + i] = s.charCodeAt(i);
  return off + s.length;
}

function putNumber(out: Buffer, off: number, n: number): number {
  const end = off + digitCount(n);
  for (let i = end - 1; i >= off; i--) {
    out[i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
  return end;
}

function crlf(out: Buffer, off: number): number {
  out[off] = CR;
  out[off + 1] = LF;
  return off + 2;
}
