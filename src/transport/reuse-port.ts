/**
 * Whether `dgram.createSocket({ reusePort: true })` works here. Node added the option in 22.12
 * and 23.1; older versions silently ignore it (so a test bind would succeed and prove nothing),
 * and libuv supports it only on some kernels. Node 20 keeps working: callers bind without it.
 */
const SUPPORTED_PLATFORMS: ReadonlySet<string> = new Set(['linux', 'freebsd', 'sunos', 'aix']);

let cached: boolean | undefined;

/** True when this Node version and platform honour UDP `reusePort` (checked once). */
export function supportsUdpReusePort(): boolean {
  cached ??= SUPPORTED_PLATFORMS.has(process.platform) && nodeHasReusePort(process.versions.node);
  return cached;
}

/** "22.12.0" → true; exported for its unit test. */
export function nodeHasReusePort(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major === 22) return minor >= 12;
  if (major === 23) return minor >= 1;
  return major > 23;
}
