/**
 * RFC 1918 and RFC 6598 (carrier-grade NAT) IPv4 ranges, as nat_uac_test flag 1 checks them.
 * Runs on every response from the farm: a char-code scan, nothing allocated.
 */
export function isPrivateIPv4(host: string): boolean {
  let a = 0;
  let b = 0;
  let octet = 0;
  let digits = 0;
  let index = 0;
  for (let i = 0; i <= host.length; i++) {
    const c = i < host.length ? host.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return false;
      octet = octet * 10 + c - 48;
    } else if (c === 46) {
      if (digits === 0 || octet > 255 || index > 3) return false;
      if (index === 0) a = octet;
      else if (index === 1) b = octet;
      index++;
      octet = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  if (index !== 4) return false;
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
}
