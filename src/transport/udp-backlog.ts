/**
 * The kernel's view of our UDP sockets: bytes queued unread (rx_queue) and datagrams dropped
 * because the receive buffer was full (drops), from /proc/net/udp and /proc/net/udp6. This is
 * the honest measure of "received but not yet handled": Node reads datagrams from the socket only
 * when the event loop gets to them, and keeps no queue of its own. Linux only; elsewhere the
 * reader answers undefined and only the event-loop delay is watched.
 */
import { readFile } from 'node:fs/promises';

export interface UdpBacklog {
  /** Bytes queued on the fullest matching socket (kernel accounting: skb truesize, not payload). */
  queuedBytes: number;
  /** Datagrams dropped so far, summed over the matching sockets. */
  drops: number;
}

/**
 * Reads the rows of /proc/net/udp{,6} text whose local port is in `ports`. Columns: sl,
 * local_address (hex addr:port), rem_address, st, tx_queue:rx_queue (hex), tr, tm->when,
 * retrnsmt, uid, timeout, inode, ref, pointer, drops (decimal).
 */
export function parseProcNetUdp(text: string, ports: ReadonlySet<number>, into: UdpBacklog): void {
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 13) continue;
    const local = cols[1]!;
    const port = parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
    if (!ports.has(port)) continue;
    const queues = cols[4]!;
    const rx = parseInt(queues.slice(queues.indexOf(':') + 1), 16);
    const drops = Number(cols[cols.length - 1]);
    if (Number.isFinite(rx) && rx > into.queuedBytes) into.queuedBytes = rx;
    if (Number.isFinite(drops)) into.drops += drops;
  }
}

const FILES = ['/proc/net/udp', '/proc/net/udp6'];

/** Reads the backlog of the sockets bound to `ports`; undefined where /proc/net/udp is not there. */
export async function readUdpBacklog(ports: ReadonlySet<number>): Promise<UdpBacklog | undefined> {
  const out: UdpBacklog = { queuedBytes: 0, drops: 0 };
  let found = false;
  for (const file of FILES) {
    let text: string;
    try {
      text = await readFile(file, 'latin1');
    } catch {
      continue;
    }
    found = true;
    parseProcNetUdp(text, ports, out);
  }
  return found ? out : undefined;
}
