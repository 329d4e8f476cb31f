// Warm-up before a measured step. The proxies start fresh for every step while an operator's
// proxy is long-running, so each target (sipdispatch, Kamailio, direct alike) first gets the
// same unmeasured load: a SIPp UAC of the step's scenario in its own directory (own traces, own
// Call-IDs) on its own ports. It ends before the step's CPU snapshots begin.
import { mkdir, readFile } from 'node:fs/promises';
import { startUac } from './sipp-processes.mjs';
import { statCounters } from './sipp-traces.mjs';

/** Warm-up calls/s at most: enough to compile the hot paths without loading the machine. */
export const WARMUP_MAX_RATE = 500;
/** SIPp writes a statistics row a second (-fd 1): this bounds the wait for one. */
const SETTLE_TIMEOUT_MS = 3_000;
const POLL_MS = 100;

/**
 * Runs the warm-up UAC to its end.
 * @param {Parameters<typeof startUac>[0]} uacOptions  its own dir and ports
 * @returns {Promise<{ calls: number, failed: number, endedS: number }>}
 */
export async function warmUp(uacOptions) {
  await mkdir(uacOptions.dir, { recursive: true });
  const { stats } = await startUac(uacOptions).finished;
  return { calls: uacOptions.calls, failed: uacOptions.calls - stats.successful, endedS: Date.now() / 1_000 };
}

/**
 * Retransmissions the UAS backends have counted so far, from statistics rows written after
 * afterS (epoch seconds), so the warm-up's share can be taken off the step's. Takes the latest
 * rows if none newer comes within SETTLE_TIMEOUT_MS.
 * @param {readonly string[]} files  the backends' -trace_stat CSVs
 * @param {number} afterS
 */
export async function uasRetransmissionsAfter(files, afterS) {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    // a row SIPp is still writing reads as incomplete: try again
    const rows = await Promise.all(files.map((file) => readFile(file, 'utf8').then(statCounters, () => undefined)));
    const settled = rows.every((row) => row !== undefined && row.atS > afterS);
    if (settled || Date.now() > deadline) return rows.reduce((sum, row) => sum + (row?.retransmissions ?? 0), 0);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
