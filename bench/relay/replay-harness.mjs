// The driver alone: a stand-in for the proxy that answers each fed datagram with what the real
// proxy sent for it in one recorded call. Playing calls against it costs only the driver's own work
// (building the datagrams, reading the echoed headers, the checks), which is then subtracted from
// the real figures: V8 inlines across the boundary, so profiles cannot split the two exactly.
import { MemoryWire } from './proxy-harness.mjs';
import { SippCall } from './sipp-call.mjs';

/** Plays call `n` through the real `harness`, recording what the proxy sent after each datagram. */
export async function recordCall(harness, n) {
  const groups = [];
  const wire = harness.wire;
  wire.send = (bytes, target) => {
    groups.at(-1).push([bytes, target]);
    MemoryWire.prototype.send.call(wire, bytes, target);
  };
  const receive = (bytes, source) => {
    groups.push([]);
    harness.receive(bytes, source);
  };
  try {
    await new SippCall({ ...harness, receive }).run(n);
  } finally {
    delete wire.send;
  }
  return groups;
}

/** A harness whose "proxy" replays `groups` in turn, one group per datagram fed. */
export function createReplayHarness(groups) {
  const wire = new MemoryWire();
  let next = 0;
  return {
    wire,
    logs: { lines: 0, first: '' },
    receive() {
      for (const [bytes, target] of groups[next]) wire.send(bytes, target);
      next = (next + 1) % groups.length;
    },
  };
}
