/**
 * Re-emits a message. Header fields that still carry their wire position are copied from the
 * source bytes (runs of adjacent fields in one copy), so whatever the relay did not edit goes out
 * byte for byte; edited or added fields are written as `Name: value`. The body is untouched and
 * Content-Length always matches it (added when the message had none, as a stream needs one).
 */
import type { HeaderField, SipMessage } from './message.js';

const CR = 13;
const LF = 10;

function startLine(msg: SipMessage): string {
  return msg.kind === 'request' ? `${msg.method} ${msg.uri} ${msg.version}` : `${msg.version} ${msg.status} ${msg.reason}`;
}

/** True when the field is copied from the source; Content-Length only while it matches the body. */
function fromWire(f: HeaderField, source: Buffer | undefined, lengthOk: boolean): boolean {
  return source !== undefined && f.wireStart !== undefined && f.wireEnd !== undefined && (lengthOk || f.key !== 'content-length');
}

function writtenText(f: HeaderField, bodyLength: number): string {
  return f.key === 'content-length' ? `${f.name}: ${bodyLength}` : `${f.name}: ${f.value}`;
}

/** The message as bytes. */
export function serialize(msg: SipMessage): Buffer {
  const source = msg.source;
  const bodyLength = msg.body.length;
  const lengthOk = msg.contentLength === bodyLength;
  const head = startLine(msg);
  let size = head.length + 4 + bodyLength;
  let hasLength = false;
  for (const f of msg.headers) {
    if (f.key === 'content-length') hasLength = true;
    size += 2 + (fromWire(f, source, lengthOk) ? (f.wireEnd as number) - (f.wireStart as number) : writtenText(f, bodyLength).length);
  }
  const missingLength = hasLength ? '' : `Content-Length: ${bodyLength}`;
  if (!hasLength) size += missingLength.length + 2;

  const out = Buffer.allocUnsafe(size);
  let off = crlf(out, out.write(head, 0, 'latin1'));
  let runStart = -1;
  let runEnd = -1;
  for (const f of msg.headers) {
    if (fromWire(f, source, lengthOk)) {
      const s = f.wireStart as number;
      // Extend the run when only a CRLF separates this field from the previous one.
      if (runStart !== -1 && s === runEnd + 2 && (source as Buffer)[runEnd] === CR && (source as Buffer)[runEnd + 1] === LF) {
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
    off = crlf(out, off + out.write(writtenText(f, bodyLength), off, 'latin1'));
  }
  if (runStart !== -1) off = crlf(out, off + (source as Buffer).copy(out, off, runStart, runEnd));
  if (!hasLength) off = crlf(out, off + out.write(missingLength, off, 'latin1'));
  off = crlf(out, off);
  msg.body.copy(out, off);
  return out;
}

function crlf(out: Buffer, off: number): number {
  out[off] = CR;
  out[off + 1] = LF;
  return off + 2;
}
