// Reading what SIPp leaves behind: the -trace_stat CSV (call counters) and the
// -trace_shortmsg log (one line per message with a microsecond timestamp).
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * Counters of the last row of a -trace_stat CSV (a header line, then ';'-separated rows).
 * @param {string} text
 */
export function statCounters(text) {
  const lines = text.split('\n').filter((line) => line.length > 0);
  const header = (lines[0] ?? '').split(';');
  const last = (lines.at(-1) ?? '').split(';');
  if (lines.length < 2 || last.length !== header.length) throw new Error('SIPp statistics CSV has no complete row');
  const count = (column) => {
    const value = Number(last[header.indexOf(column)]);
    if (!Number.isInteger(value)) throw new Error(`SIPp statistics column ${column} is missing or not a count`);
    return value;
  };
  return { created: count('TotalCallCreated'), successful: count('SuccessfulCall(C)'), failed: count('FailedCall(C)'), retransmissions: count('Retransmissions(C)') };
}

/**
 * Streams a -trace_shortmsg log (fields: date, time, epoch.micros, S|R, Call-ID, "CSeq:N METHOD",
 * first line) and measures, per call, the first request sent to the first 200 for that CSeq:
 * INVITE -> 200 for calls, OPTIONS -> 200 for the OPTIONS scenario. Retransmissions and later
 * 200s are ignored.
 * @param {string} file
 * @returns {Promise<{ setupMs: Float64Array, calls: number, firstSendS: number, lastSendS: number }>}
 */
export async function readSetupTimes(file) {
  /** @type {Map<string, { cseq: string, sentS: number } | null>} */
  const calls = new Map();
  const setupMs = [];
  let firstSendS = Number.POSITIVE_INFINITY;
  let lastSendS = Number.NEGATIVE_INFINITY;
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    const [, , epoch, direction, callId, cseq, firstLine] = line.split('\t');
    if (callId === undefined || cseq === undefined || firstLine === undefined) continue;
    const pending = calls.get(callId);
    if (direction === 'S' && pending === undefined) {
      const sentS = Number(epoch);
      calls.set(callId, { cseq, sentS });
      firstSendS = Math.min(firstSendS, sentS);
      lastSendS = Math.max(lastSendS, sentS);
    } else if (direction === 'R' && pending && pending.cseq === cseq && firstLine.startsWith('SIP/2.0 200 ')) {
      setupMs.push((Number(epoch) - pending.sentS) * 1_000);
      calls.set(callId, null);
    }
  }
  return { setupMs: Float64Array.from(setupMs).sort(), calls: calls.size, firstSendS, lastSendS };
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
