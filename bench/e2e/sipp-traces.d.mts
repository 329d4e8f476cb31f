/** Types of sipp-traces.mjs for the tests that import it. */
export function statCounters(text: string): { created: number; successful: number; failed: number; retransmissions: number; atS: number };
