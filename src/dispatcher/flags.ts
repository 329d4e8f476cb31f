/**
 * Destination state: Kamailio's flag bits and letters at the edges, a clear type inside.
 * Bits (dispatch.h): 1 inactive, 2 trying, 4 disabled, 8 probing, 16 no-DNS, 32 no-ping.
 */
import { err, ok, type Result } from '../shared/result.js';

export const FLAG_INACTIVE = 1;
export const FLAG_TRYING = 2;
export const FLAG_DISABLED = 4;
export const FLAG_PROBING = 8;
export const FLAG_NO_DNS = 16;
export const FLAG_NO_PING = 32;

/** Whether the destination can take traffic: `trying` still can (Kamailio's ds_skip_dst rule). */
export type Availability = 'active' | 'trying' | 'inactive' | 'disabled';

export interface DestinationState {
  readonly availability: Availability;
  /** Send keepalives (the P letter). */
  readonly probing: boolean;
  readonly noPing: boolean;
  readonly noDns: boolean;
}

export function isUsable(state: DestinationState): boolean {
  return state.availability === 'active' || state.availability === 'trying';
}

/**
 * Flag bits to state. A file may combine I, D and T; the first letter Kamailio would print wins
 * (I, then D, then T), so the letters round-trip and usability (I or D) is unchanged.
 */
export function flagsToState(flags: number): DestinationState {
  let availability: Availability = 'active';
  if (flags & FLAG_INACTIVE) availability = 'inactive';
  else if (flags & FLAG_DISABLED) availability = 'disabled';
  else if (flags & FLAG_TRYING) availability = 'trying';
  return internState({
    availability,
    probing: (flags & FLAG_PROBING) !== 0,
    noPing: (flags & FLAG_NO_PING) !== 0,
    noDns: (flags & FLAG_NO_DNS) !== 0,
  });
}

/** The few distinct states, shared: a list of 50,000 destinations holds a handful of state objects. */
const INTERNED = new Map<number, DestinationState>();

/** The shared, frozen object equal to `state`. */
export function internState(state: DestinationState): DestinationState {
  const bits = stateToFlags(state);
  let shared = INTERNED.get(bits);
  if (!shared) {
    shared = Object.freeze({ availability: state.availability, probing: state.probing, noPing: state.noPing, noDns: state.noDns });
    INTERNED.set(bits, shared);
  }
  return shared;
}

const AVAILABILITY_BITS: Record<Availability, number> = { active: 0, trying: FLAG_TRYING, inactive: FLAG_INACTIVE, disabled: FLAG_DISABLED };
const FIRST_LETTER: Record<Availability, string> = { active: 'A', trying: 'T', inactive: 'I', disabled: 'D' };

export function stateToFlags(state: DestinationState): number {
  return (
    AVAILABILITY_BITS[state.availability] |
    (state.probing ? FLAG_PROBING : 0) |
    (state.noDns ? FLAG_NO_DNS : 0) |
    (state.noPing ? FLAG_NO_PING : 0)
  );
}

/** Kamailio's two letters (ds_rpc_print_set): I/D/T/A, then P, N or X. */
export function stateLetters(state: DestinationState): string {
  const second = state.probing ? 1 : state.noPing ? 2 : 0;
  return LETTERS[state.availability][second] ?? '';
}

/** The letter pairs as constants: a view of 50,000 destinations holds no copies of them. */
const LETTERS = Object.fromEntries(
  Object.entries(FIRST_LETTER).map(([a, first]) => [a, [`${first}X`, `${first}P`, `${first}N`]]),
) as unknown as Record<Availability, readonly string[]>;

/**
 * Parses a `set_state` value exactly as dispatcher.set_state does: the first character is
 * 0/i inactive, 1/a active, 2/d disabled or 3/t trying (any case); a second `p` adds probing
 * (not to disabled); anything after is ignored, so `dx`, `ax`, `1`, `0`, `ip` are all valid.
 */
export function parseSetState(text: string): Result<DestinationState, string> {
  const first = text.charAt(0).toLowerCase();
  if (first === '') return err('empty state');
  const probing = text.length > 1 && (text.charAt(1) === 'p' || text.charAt(1) === 'P');
  switch (first) {
    case '0':
    case 'i':
      return ok({ availability: 'inactive', probing, noPing: false, noDns: false });
    case '1':
    case 'a':
      return ok({ availability: 'active', probing, noPing: false, noDns: false });
    case '2':
    case 'd':
      return ok({ availability: 'disabled', probing: false, noPing: false, noDns: false });
    case '3':
    case 't':
      return ok({ availability: 'trying', probing, noPing: false, noDns: false });
    default:
      return err(`unknown state value '${text}'`);
  }
}
