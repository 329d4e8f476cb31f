// Reading what SIPp leaves behind: the -trace_stat CSV (call counters) and the
// -trace_shortmsg log (one line per message with a microsecond timestamp).
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * Counters of the last row of a -trace_stat CSV (a header line, then ';'-separated rows), and
 * when SIPp wrote that row (atS: epoch seconds of its CurrentTime column).
 * @param {string} text
 */
export function statCounters(text) {
  const lines = text.split('\n').filter((line) => line.length > 0);
  const header = (lines[0] ?? '').split(';');
  // the newest complete row: SIPp writes one a second (-fd 1), and one stopped mid-write leaves half a line
  const last = lines.slice(1).reverse().map((line) => line.split(';')).find((row) => row.length === header.length);
  if (!last) throw new Error('SIPp statistics CSV has no complete row');
  const count = (/** @type {string} */ column) => {
    const value = Number(last[header.indexOf(column)]);
    if (!Number.isInteger(value)) throw new Error(`SIPp statistics column ${column} is missing or not a count`);
    return value;
  };
  // CurrentTime is "date<TAB>time<TAB>epoch.micros"
  const atS = Number((last[header.indexOf('CurrentTime')] ?? '').split('\t')[2]);
  return { created: count('TotalCallCreated'), successful: count('SuccessfulCall(C)'), failed: count('FailedCall(C)'), retransmissions: count('Retransmissions(C)'), atS };
}

/**
 * What one call has sent so far, and which of its answers are still awaited.
 * @typedef {{ cseq: string, sentS: number, setupOpen: boolean, ringOpen: boolean, byeCseq: string, byeSentS: number, byeOpen: boolean }} CallTrace
 */

/**
 * Streams a -trace_shortmsg log once (fields: date, time, epoch.micros, S|R, Call-ID,
 * "CSeq:N METHOD", first line) and measures per call, from the first request sent to the first
 * matching response for that CSeq:
 * - setupMs: initial request -> 200 (INVITE -> 200 for calls, OPTIONS -> 200 for OPTIONS);
 * - ringMs: INVITE -> 180;
 * - byeMs: BYE -> 200.
 * Retransmissions and later responses are ignored. Empty arrays sort to NaN percentiles (OPTIONS).
 * @param {string} file
 * @returns {Promise<{ setupMs: Float64Array, ringMs: Float64Array, byeMs: Float64Array, calls: number, firstSendS: number, lastSendS: number }>}
 */
export async function readTraceTimes(file) {
  /** @type {Map<string, CallTrace>} */
  const calls = new Map();
  /** @type {{ setupMs: number[], ringMs: number[], byeMs: number[] }} */
  const times = { setupMs: [], ringMs: [], byeMs: [] };
  let firstSendS = Number.POSITIVE_INFINITY;
  let lastSendS = Number.NEGATIVE_INFINITY;
  for await (const { epoch, direction, callId, cseq, firstLine } of shortMessages(file)) {
    const call = calls.get(callId);
    if (direction === 'S') {
      if (call) noteSent(call, cseq, epoch);
      else {
        const sentS = Number(epoch);
        calls.set(callId, { cseq, sentS, setupOpen: true, ringOpen: cseq.endsWith(' INVITE'), byeCseq: '', byeSentS: Number.NaN, byeOpen: false });
        firstSendS = Math.min(firstSendS, sentS);
        lastSendS = Math.max(lastSendS, sentS);
      }
    } else if (direction === 'R' && call) noteReceived(call, cseq, epoch, firstLine, times);
  }
  const sorted = (/** @type {number[]} */ values) => Float64Array.from(values).sort();
  return { setupMs: sorted(times.setupMs), ringMs: sorted(times.ringMs), byeMs: sorted(times.byeMs), calls: calls.size, firstSendS, lastSendS };
}

/** The first BYE of a call starts its BYE -> 200 clock. @param {CallTrace} call @param {string} cseq @param {string | undefined} epoch */
function noteSent(call, cseq, epoch) {
  if (call.byeCseq !== '' || !cseq.endsWith(' BYE')) return;
  call.byeCseq = cseq;
  call.byeSentS = Number(epoch);
  call.byeOpen = true;
}

/**
 * @param {CallTrace} call @param {string} cseq @param {string | undefined} epoch @param {string} firstLine
 * @param {{ setupMs: number[], ringMs: number[], byeMs: number[] }} times
 */
function noteReceived(call, cseq, epoch, firstLine, times) {
  if (cseq === call.cseq) {
    if (call.setupOpen && firstLine.startsWith('SIP/2.0 200 ')) {
      times.setupMs.push((Number(epoch) - call.sentS) * 1_000);
      call.setupOpen = false;
    } else if (call.ringOpen && firstLine.startsWith('SIP/2.0 180 ')) {
      times.ringMs.push((Number(epoch) - call.sentS) * 1_000);
      call.ringOpen = false;
    }
  } else if (call.byeOpen && cseq === call.byeCseq && firstLine.startsWith('SIP/2.0 200 ')) {
    times.byeMs.push((Number(epoch) - call.byeSentS) * 1_000);
    call.byeOpen = false;
  }
}

/**
 * The lines of a SIPp -trace_shortmsg file as fields: epoch seconds, direction (S sent, R
 * received), Call-ID, CSeq and the first line; lines without them are skipped.
 * @param {string} file
 */
export async function* shortMessages(file) {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    const [, , epoch, direction, callId, cseq, firstLine] = line.split('\t');
    if (epoch === undefined || direction === undefined || callId === undefined || cseq === undefined || firstLine === undefined) continue;
    yield { epoch, direction, callId, cseq, firstLine };
  }
}

/**
 * Nearest-rank percentile of sorted values (NaN when there are none).
 * @param {Float64Array} sorted
 * @param {number} p  0..100
 */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}
