/**
 * The one wall clock (milliseconds since the epoch) for what outlives a process tick: call-load
 * expiry, event timestamps, DNS TTLs. Durations and timers use the Scheduler's monotonic `now`.
 * Injected everywhere, so tests move it by hand.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
