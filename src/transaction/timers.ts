/**
 * The transaction timers of RFC 3261 §17 (Table 4), RFC 6026 (L, M), from T1/T2/T4 and Kamailio's
 * tm names, all in milliseconds.
 *
 * Kamailio's names, not RFC 3261's fixed 64·T1, decide how long a client waits, because that is what
 * an operator migrating from Kamailio tunes (tm docs: fr_timer "hits if no reply for an INVITE
 * request or other request has been received"; fr_inv_timer "hits if no final reply for an INVITE
 * arrives after a provisional message was received", i.e. how long a phone rings):
 * - B (INVITE, no response at all yet)      = fr_timer  — fast failover to the next destination;
 * - C (INVITE, after a provisional response) = fr_inv_timer, restarted on every provisional
 *   (RFC 3261 §16.6 bullet 11 Timer C; Kamailio's restart_fr_on_each_reply=1 default);
 * - F (non-INVITE, no final response)        = fr_timer.
 * A is capped at T2 like E and G, as Kamailio's retr_timer2 does (RFC 3261 leaves INVITE
 * retransmissions uncapped: 0.5, 1, 2, 4, 8, 16 s).
 * D, I, J, K are the values for unreliable transports; the state machines use zero over reliable
 * ones, where the RFC says so.
 */

export interface TimerConfig {
  /** RTT estimate (RFC 3261 T1, 500 ms by default). */
  t1: number;
  /** Maximum retransmission interval for non-INVITE requests and INVITE responses (T2). */
  t2: number;
  /** Maximum time a message stays in the network (T4). */
  t4: number;
  /** Kamailio tm fr_timer: wait for the first response to an INVITE, the final one otherwise. */
  frTimer: number;
  /** Kamailio tm fr_inv_timer: wait for a final response to an INVITE after a provisional. */
  frInvTimer: number;
  /**
   * Kamailio tm wait_timer: how long a transaction that has its final response stays to absorb
   * retransmissions (D, J, L, M). Unset: RFC 3261/6026's 32 s (64·T1). A proxy keeping every
   * answered transaction for 32 s holds 32 s × the call rate of them in memory; Kamailio uses 5 s.
   */
  waitTimer?: number;
}

export interface TimerValues {
  readonly t1: number;
  readonly t2: number;
  readonly t4: number;
  /** INVITE request retransmission, initially T1, doubled up to T2 (UDP only). */
  readonly A: number;
  /** INVITE client: no response at all (fr_timer). */
  readonly B: number;
  /** INVITE client: no final response after a provisional (fr_inv_timer). */
  readonly C: number;
  /** INVITE client: wait for response retransmissions in Completed (≥ 32 s; 0 reliable). */
  readonly D: number;
  /** Non-INVITE request retransmission, initially T1, doubled up to T2 (UDP only). */
  readonly E: number;
  /** Non-INVITE client: no final response (fr_timer). */
  readonly F: number;
  /** INVITE final response retransmission, initially T1, doubled up to T2 (UDP only). */
  readonly G: number;
  /** INVITE server: wait for the ACK (64·T1). */
  readonly H: number;
  /** INVITE server: absorb ACK retransmissions in Confirmed (T4; 0 reliable). */
  readonly I: number;
  /** Non-INVITE server: absorb request retransmissions in Completed (64·T1; 0 reliable). */
  readonly J: number;
  /** Non-INVITE client: absorb response retransmissions in Completed (T4; 0 reliable). */
  readonly K: number;
  /** INVITE server (RFC 6026): stay in Accepted to absorb INVITE retransmissions (64·T1). */
  readonly L: number;
  /** INVITE client (RFC 6026): stay in Accepted to pass up 2xx retransmissions (64·T1). */
  readonly M: number;
}

/** RFC 3261 §17.1.1.2: "a value of at least 32 seconds for unreliable transports". */
const MIN_TIMER_D = 32_000;

export function timerValues(config: TimerConfig): TimerValues {
  const { t1, t2, t4, frTimer, frInvTimer } = config;
  const sixtyFourT1 = 64 * t1;
  const wait = config.waitTimer;
  return Object.freeze({
    t1,
    t2,
    t4,
    A: t1,
    B: frTimer,
    C: frInvTimer,
    D: wait ?? Math.max(MIN_TIMER_D, sixtyFourT1),
    E: t1,
    F: frTimer,
    G: t1,
    H: sixtyFourT1,
    I: t4,
    J: wait ?? sixtyFourT1,
    K: t4,
    L: wait ?? sixtyFourT1,
    M: wait ?? sixtyFourT1,
  });
}
