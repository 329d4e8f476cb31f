/**
 * Max-Forwards handling with Kamailio's mf_process_maxfwd_header(limit) semantics:
 * absent → insert `limit`; 0 → 483 Too Many Hops; otherwise decremented, and never more than `limit`
 * (a value above it becomes `limit`, as maxfwd's max_limit does).
 */
export type MaxForwardsVerdict = { ok: true; value: number } | { ok: false };

export function nextMaxForwards(current: number | undefined, limit: number): MaxForwardsVerdict {
  if (current === undefined) return { ok: true, value: limit };
  if (current <= 0) return { ok: false };
  return { ok: true, value: current > limit ? limit : current - 1 };
}
