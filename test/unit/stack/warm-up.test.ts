import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { subscribe } from '../../../src/shared/events.js';
import { warmUp } from '../../../src/stack/warm-up.js';

describe('warm-up before the sockets open', () => {
  it('plays every synthetic call to its end through the real relay, with the operator\'s own routes set aside', async () => {
    const config = await loadConfig({ routes: [{ match: { method: 'REGISTER' }, set: 9 }] });
    const relayed: string[] = [];
    // a subscriber sees the warm-up's traffic only because this test listens; the app warms up before subscribing
    const stop = subscribe('request.relayed', (e) => relayed.push(e.method));
    try {
      expect(warmUp(config, 20).calls).toBe(20);
    } finally {
      stop();
    }
    // per call: the INVITE, ACK and BYE reach a destination (the ACK end to end, statelessly)
    expect(relayed.filter((m) => m === 'INVITE')).toHaveLength(20);
    expect(relayed.filter((m) => m === 'BYE')).toHaveLength(20);
  });
});
