/** RFC 1918 and RFC 6598 (carrier-grade NAT) IPv4 ranges, as nat_uac_test flag 1 checks them. */
export function isPrivateIPv4(host: string): boolean {
  const parts = host.split('.');
  if (parts.length !== 4) return false;
  const o = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  if (o.some((n) => Number.isNaN(n) || n > 255)) return false;
  const [a, b] = o as [number, number, number, number];
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
}
