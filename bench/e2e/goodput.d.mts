/** Types of goodput.mjs for the tests that import it. */
export function goodputOf(row: { successful: number; calls: number; achievedRate: number }, seconds: number): number;
