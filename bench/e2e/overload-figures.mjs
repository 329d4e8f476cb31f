// What the overload mode (overload.mjs) measures beyond a step's usual figures: why calls failed
// (the INVITE's final answer from the UAC's message trace), how fast a shed call was refused,
// whether every BYE was answered, and the proxy's own account: requests shed, traffic marks and
// every destination state shown (sipdispatch's /metrics; Kamailio's dst-down/dst-up log lines).
import { readFile } from 'node:fs/promises';
import { percentile, shortMessages } from './sipp-traces.mjs';

/**
 * Streams the UAC's -trace_shortmsg log (date, time, epoch.micros, S|R, Call-ID, "CSeq:N METHOD",
 * first line) and classifies each call by the first final response to its INVITE.
 * @param {string} file
 */
export async function readFailureCauses(file) {
  /** @type {Map<string, { inviteCseq: string, sentS: number, final: number, byeCseq: string, byeAnswered: boolean }>} */
  const calls = new Map();
  /** @type {number[]} */
  const rejectMs = [];
  for await (const { epoch, direction, callId, cseq, firstLine } of shortMessages(file)) {
    const call = calls.get(callId);
    if (direction === 'S') {
      if (!call && cseq.endsWith(' INVITE')) calls.set(callId, { inviteCseq: cseq, sentS: Number(epoch), final: 0, byeCseq: '', byeAnswered: false });
      else if (call && call.byeCseq === '' && cseq.endsWith(' BYE')) call.byeCseq = cseq;
      continue;
    }
    if (direction !== 'R' || !call || !firstLine.startsWith('SIP/2.0 ')) continue;
    const status = Number(firstLine.slice(8, 11));
    if (cseq === call.inviteCseq && call.final === 0 && status >= 200) {
      call.final = status;
      if (status === 503) rejectMs.push((Number(epoch) - call.sentS) * 1_000);
    } else if (cseq === call.byeCseq && status >= 200) call.byeAnswered = true;
  }
  let ok = 0;
  let rejected503 = 0;
  let timeout408 = 0;
  let otherFinal = 0;
  let noFinal = 0;
  let byeSent = 0;
  let byeUnanswered = 0;
  for (const call of calls.values()) {
    if (call.final >= 200 && call.final < 300) ok++;
    else if (call.final === 503) rejected503++;
    else if (call.final === 408) timeout408++;
    else if (call.final === 0) noFinal++;
    else otherFinal++;
    if (call.byeCseq !== '') {
      byeSent++;
      if (!call.byeAnswered) byeUnanswered++;
    }
  }
  const sorted = Float64Array.from(rejectMs).sort();
  return {
    invitesAnswered2xx: ok,
    failed503: rejected503,
    failed408: timeout408,
    failedOther: otherFinal,
    /** No final answer to the INVITE before SIPp gave up: a SIPp timeout. */
    failedNoAnswer: noFinal,
    byeSent,
    byeUnanswered,
    reject503P50Ms: percentile(sorted, 50),
    reject503P99Ms: percentile(sorted, 99),
  };
}

/**
 * sipdispatch's account of the step, from one scrape of /metrics before it stops.
 * @param {number} httpPort
 */
export async function scrapeSipdispatch(httpPort) {
  const text = await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text());
  let shed = 0;
  let trafficMarks = 0;
  let trafficSpared = 0;
  /** @type {string[]} */
  const statesShown = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('sipdispatch_shed_requests_total{')) shed += value;
    else if (line.startsWith('sipdispatch_traffic_marks_total{')) {
      if (line.includes('result="marked"')) trafficMarks += value;
      else trafficSpared += value;
    } else if (line.startsWith('sipdispatch_destination_state{')) {
      // one series per state a destination has shown since the start (1 = current)
      const state = /state="([^"]*)"/.exec(line)?.[1] ?? '?';
      const uri = /uri="sip:[^:]*:(\d+)"/.exec(line)?.[1] ?? '?';
      statesShown.push(`${uri}:${state}`);
    }
  }
  return { shed, trafficMarks, trafficSpared, statesShown };
}

/**
 * State changes: sipdispatch shows a destination's every state as a series; anything but the
 * list's AP (flag 8) is a change. Kamailio logs dst-down / dst-up from its event routes.
 * @param {'sipdispatch' | 'kamailio'} target
 * @param {Awaited<ReturnType<typeof scrapeSipdispatch>> | undefined} scraped
 * @param {string} kamailioLog
 */
export async function stateChanges(target, scraped, kamailioLog) {
  if (target === 'sipdispatch') {
    const changes = (scraped?.statesShown ?? []).filter((s) => !s.endsWith(':AP'));
    return { stateChanges: changes.length, stateChangeList: changes.join(' ') };
  }
  const log = await readFile(kamailioLog, 'utf8').catch(() => '');
  const changes = log.split('\n').filter((l) => l.includes('bench: dst-'));
  return { stateChanges: changes.length, stateChangeList: changes.map((l) => l.slice(l.indexOf('bench: ') + 7).trim()).join(' ') };
}
