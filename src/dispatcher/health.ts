/**
 * The pure health state machine: which destinations are pinged, what a keepalive reply asks for
 * (ds_options_callback and ds_ping_result_helper) and how thresholds turn that request into a
 * state (ds_update_state, dispatch.c). The prober owns I/O; this file only computes states.
 */
import type { ReplyCodeRules } from '../shared/reply-codes.js';
import { internState, type Availability, type DestinationState } from './flags.js';

/**
 * ds_probing_mode: 0 ping only P entries, one shot (success clears P); 1 ping every entry;
 * 2 ping only inactive P entries; 3 ping P entries continually (P kept on success).
 */
export type ProbingMode = 0 | 1 | 2 | 3;

export interface HealthConfig {
  readonly probingMode: ProbingMode;
  /** Consecutive failures (TRYING) before a destination becomes inactive. */
  readonly probingThreshold: number;
  /** Consecutive successes of an inactive destination before it becomes active. */
  readonly inactiveThreshold: number;
  readonly replyCodes: ReplyCodeRules;
}

/** A destination's state plus Kamailio's consecutive-result counter (message_count). */
export interface Health {
  readonly state: DestinationState;
  readonly count: number;
}

const RESTING = new Map<DestinationState, Health>();

/** `state` with a zero counter, shared per (interned) state: what a freshly loaded destination holds. */
export function restingHealth(state: DestinationState): Health {
  const shared = internState(state);
  let h = RESTING.get(shared);
  if (!h) {
    h = Object.freeze({ state: shared, count: 0 });
    RESTING.set(shared, h);
  }
  return h;
}

/** A keepalive reply is good when it is 2xx or listed in ds_ping_reply_codes. */
export function isReplyOk(code: number, rules: ReplyCodeRules): boolean {
  if (code >= 200 && code <= 299) return true;
  return rules.codes.includes(code) || rules.classes.includes(Math.floor(code / 100));
}

/** Whether the prober pings this destination now. Disabled, no-ping and no-DNS never are. */
export function isProbeTarget(state: DestinationState, mode: ProbingMode): boolean {
  if (state.availability === 'disabled' || state.noPing || state.noDns) return false;
  switch (mode) {
    case 0:
    case 3:
      return state.probing;
    case 1:
      return true;
    case 2:
      return state.probing && state.availability === 'inactive';
  }
}

/** The state a keepalive reply asks for, or undefined when the reply must be ignored. */
export function probeRequest(old: DestinationState, ok: boolean, mode: ProbingMode): DestinationState | undefined {
  // disabled meanwhile (RPC): the reply is ignored
  if (old.availability === 'disabled') return undefined;
  // mode 3 whose P was removed meanwhile: ignored, or a late reply would re-add P (Kamailio PR 2959)
  if (mode === 3 && !old.probing) return undefined;
  if (ok) return { availability: 'active', probing: mode === 1 || mode === 3, noPing: false, noDns: false };
  return { availability: 'trying', probing: mode !== 0, noPing: false, noDns: false };
}

/**
 * ds_update_state: applies a requested state with the consecutive thresholds. The no-DNS and
 * no-ping bits are dropped, as Kamailio clears all six state bits.
 */
export function applyStateRequest(h: Health, req: DestinationState, cfg: HealthConfig): Health {
  const oldInactive = h.state.availability === 'inactive';
  const requestedTrying = req.availability === 'trying';
  // inactive -> trying stays inactive: it has to become active first
  let availability: Availability = requestedTrying && oldInactive ? 'inactive' : req.availability;
  let probing = availability === 'disabled' ? false : req.probing;
  let count: number;
  if (availability === 'trying') {
    count = h.count + 1;
    if (count >= cfg.probingThreshold) {
      availability = 'inactive';
      count = 0;
    }
  } else if (!requestedTrying && oldInactive) {
    // an inactive destination that answers: count the successes
    count = h.count + 1;
    if (count < cfg.inactiveThreshold) {
      availability = 'inactive';
      probing = probing || h.state.probing;
    } else count = 0;
  } else count = 0;
  const state = internState({ availability, probing, noPing: false, noDns: false });
  return count === 0 ? restingHealth(state) : { state, count };
}

/** A keepalive reply applied to a destination's health; undefined when the reply is ignored. */
export function applyProbeResult(h: Health, ok: boolean, cfg: HealthConfig): Health | undefined {
  const req = probeRequest(h.state, ok, cfg.probingMode);
  return req && applyStateRequest(h, req, cfg);
}
