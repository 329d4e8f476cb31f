/**
 * Prints a JSON-RPC reply the way `kamcmd` prints the same call over BINRPC (utils/kamcmd/kamcmd.c
 * `print_binrpc_val`), so runbooks that grep kamcmd output keep working with `sipdispatch rpc`:
 * - a text reply is a bare line; a fault is `error: <code> - <message>`;
 * - a structure opens with `{` (a member with `NAME: {`), members one tab deeper, `}` closes;
 * - an array of one-key objects prints as repeated keys inside one structure, without brackets;
 * - a null string prints as `<null string>` (ctl's fix for NULL `s` values);
 * - a fractional number went over the wire as fixed point (value × 1000 in an int) and kamcmd
 *   prints it with `%f`: 353.553406 → 353.553000.
 */

export type JsonRpcReply =
  | { result: unknown; error?: undefined }
  | { error: { code: number; message: string }; result?: undefined };

/** The text kamcmd would print for this reply, each line ending in a newline. */
export function formatKamcmd(reply: JsonRpcReply): string {
  if (reply.error) return `error: ${reply.error.code} - ${reply.error.message}\n`;
  const lines: string[] = [];
  printValue(lines, reply.result, 0, undefined);
  return lines.map((l) => `${l}\n`).join('');
}

function printValue(lines: string[], value: unknown, depth: number, name: string | undefined): void {
  const prefix = '\t'.repeat(depth) + (name === undefined ? '' : `${name}: `);
  if (Array.isArray(value) || isObject(value)) {
    lines.push(`${prefix}{`);
    printMembers(lines, value, depth + 1);
    lines.push(`${'\t'.repeat(depth)}}`);
    return;
  }
  lines.push(prefix + scalarText(value));
}

function printMembers(lines: string[], value: unknown[] | Record<string, unknown>, depth: number): void {
  if (!Array.isArray(value)) {
    for (const [key, member] of Object.entries(value)) printValue(lines, member, depth, key);
    return;
  }
  for (const element of value) {
    if (isObject(element)) printMembers(lines, element, depth);
    else printValue(lines, element, depth, undefined);
  }
}

function scalarText(value: unknown): string {
  if (value === null || value === undefined) return '<null string>';
  if (typeof value === 'number') return numberText(value);
  return String(value);
}

/** Integers as `%d`; fractions truncated to BINRPC's 3-decimal fixed point, then `%f`. */
function numberText(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return (Math.trunc(value * 1000) / 1000).toFixed(6);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
