/**
 * The checks a message meets before it is routed, cheapest first (Kamailio's stock
 * REQINIT route: `pike_check_req()` with an `ipban` htable, and secfilter):
 *   - before parsing: a banned source gets silence; a request counts towards its source's pike
 *     density, and going over bans the source for `banMs`;
 *   - after parsing a request: a scanner's User-Agent gets silence, and so does an OPTIONS scan
 *     (to no user) from an untrusted source when `scannerSilence` is on.
 * Exempt sources (dispatcher destinations, `trusted` networks) are never banned: the farm's
 * OPTIONS and NOTIFYs and a carrier's trunk must not trip it. Pure: time and exemption injected.
 */
import type { Ban } from './ban-table.js';
import { BanTable } from './ban-table.js';
import { Pike, type DensityTable } from './pike.js';
import { allocateSharedDensity, SharedDensity, type SharedDensityOptions } from './shared-density.js';
import { ScannerFilter } from './scanner-filter.js';
import { sourceKey } from './source-key.js';

export interface EdgeGuardOptions {
  pike: { enabled: boolean; density: number; windowMs: number; maxSources: number };
  banMs: number;
  maxBans: number;
  scanner: { enabled: boolean; agents: readonly string[] };
  /** Drop OPTIONS to no user from untrusted sources (svmap's probe). */
  scannerSilence: boolean;
  /**
   * fail2ban at the edge: a source whose requests drew `maxRetry` auth failures (403, or 401/407
   * to a request that carried credentials) within `windowMs` is banned for `banMs`.
   */
  authban: { enabled: boolean; maxRetry: number; windowMs: number; banMs: number };
}

export interface EdgeGuardDeps {
  /** Monotonic ms. */
  now(): number;
  /** Dispatcher destinations and `trusted` networks. */
  isExempt(address: string): boolean;
  /** A source was just banned by pike (for the fail2ban log line). */
  onBan(ban: Ban, method: string, address: string, port: number): void;
  /** A source was just banned for its auth failures. */
  onAuthBan(ban: Ban, address: string, failures: number): void;
}

export type BytesVerdict = 'pass' | 'banned' | 'pike';
export type RequestVerdict = 'pass' | 'scanner';

export interface ScreenedRequest {
  method: string;
  uri: string;
  userAgent: string | undefined;
}

const SIP_VERSION = Buffer.from('SIP/2.0 ');
const URI_WITH_USER = /^sips?:[^@;?>]+@/i;

export class EdgeGuard {
  readonly bans: BanTable;
  private readonly pike: DensityTable | undefined;
  private readonly scanner: ScannerFilter | undefined;
  /** Auth failures per source: the same exact sliding window as pike, maxRetry - 1 allowed. */
  private readonly authFailures: DensityTable | undefined;

  /** `shared`: the tables of all threads (`workers` > 1), else this guard keeps its own. */
  constructor(private readonly options: EdgeGuardOptions, private readonly deps: EdgeGuardDeps, shared?: SharedEdgeTables) {
    this.bans = new BanTable(options.maxBans);
    this.pike = options.pike.enabled ? densityTable(options.pike, shared?.pike, shared?.originMs) : undefined;
    this.scanner = options.scanner.enabled ? new ScannerFilter(options.scanner.agents) : undefined;
    this.authFailures = options.authban.enabled ? densityTable(authDensity(options), shared?.authban, shared?.originMs) : undefined;
  }

  /** A dispatcher destination or in a `trusted` network: never banned, and never refused by max_transactions. */
  isExempt(address: string): boolean {
    return this.deps.isExempt(address);
  }

  /**
   * The final answer to a request from `address`: 403, or 401/407 to a request that carried
   * credentials, counts as an auth failure (a first 401 challenge is how digest starts).
   */
  authAnswered(address: string, status: number, hadCredentials: boolean): void {
    if (!this.authFailures || !(status === 403 || ((status === 401 || status === 407) && hadCredentials))) return;
    const key = sourceKey(address);
    const now = this.deps.now();
    // 'held': another thread is banning it
    if (this.authFailures.hit(key, now) !== true || this.deps.isExempt(address)) return;
    const ban = this.bans.ban(key, 'authban', now, this.options.authban.banMs);
    this.authFailures.forget(key, now);
    this.deps.onAuthBan(ban, address, this.options.authban.maxRetry);
  }

  /** Before parsing: may this datagram or framed message be parsed at all. */
  checkBytes(bytes: Buffer, address: string, port: number): BytesVerdict {
    const key = sourceKey(address);
    const now = this.deps.now();
    if (this.bans.size > 0 && this.bans.isBanned(key, now)) return 'banned';
    if (!this.pike || isResponse(bytes)) return 'pass';
    const over = this.pike.hit(key, now);
    if (!over || this.deps.isExempt(address)) return 'pass';
    // another thread is banning it; the ban reaches this thread by message
    if (over === 'held') return 'banned';
    const ban = this.bans.ban(key, 'pike', now, this.options.banMs);
    this.pike.forget(key, now);
    this.deps.onBan(ban, firstToken(bytes), address, port);
    return 'pike';
  }

  /**
   * A ban lifted by hand (`undefined`: all of them; the caller lifts the ban tables): with the
   * shared tables, the hold that kept the source silent until every thread knew of its ban ends.
   */
  released(key: string | undefined): void {
    this.pike?.release(key);
    this.authFailures?.release(key);
  }

  /** A new inbound connection: refused while its source is banned. */
  admitsConnection(address: string): boolean {
    return this.bans.size === 0 || !this.bans.isBanned(sourceKey(address), this.deps.now());
  }

  /** After parsing a request. */
  checkRequest(req: ScreenedRequest, address: string): RequestVerdict {
    if (this.scanner?.isScanner(req.userAgent)) return 'scanner';
    if (this.options.scannerSilence && req.method === 'OPTIONS' && !URI_WITH_USER.test(req.uri) && !this.deps.isExempt(address)) return 'scanner';
    return 'pass';
  }

  /** Sources pike is following now. */
  get trackedSources(): number {
    return this.pike?.tracked ?? 0;
  }

  /** Sources pike's table has taken so far, of every thread when the table is shared (source churn). */
  get sourcesSeen(): number {
    return this.pike?.seen ?? 0;
  }

  /** Sources the bounded tables forgot to stay bounded (pike's LRU and the ban table's). */
  get evictions(): number {
    return (this.pike?.evicted ?? 0) + this.bans.evicted;
  }
}

/** pike's and authban's tables in shared memory, one of each for all threads (shared-density.ts). */
export interface SharedEdgeTables {
  readonly pike: SharedArrayBuffer | undefined;
  readonly authban: SharedArrayBuffer | undefined;
  /** This thread's clock origin on the clock the buffers' base was read from. */
  readonly originMs: number;
}

/** The shared buffers for `options` (only for what is enabled); `baseMs`: now on the shared clock. */
export function allocateEdgeTables(options: EdgeGuardOptions, baseMs: number): Omit<SharedEdgeTables, 'originMs'> {
  return {
    pike: options.pike.enabled ? allocateSharedDensity(options.pike, baseMs) : undefined,
    authban: options.authban.enabled ? allocateSharedDensity(authDensity(options), baseMs) : undefined,
  };
}

/** Auth failures are pike's rule with maxRetry - 1 allowed per window. */
function authDensity(options: EdgeGuardOptions): SharedDensityOptions {
  const a = options.authban;
  return { density: a.maxRetry - 1, windowMs: a.windowMs, maxSources: options.pike.maxSources };
}

function densityTable(options: SharedDensityOptions, buffer: SharedArrayBuffer | undefined, originMs = 0): DensityTable {
  return buffer ? new SharedDensity(options, buffer, originMs) : new Pike(options);
}

function isResponse(bytes: Buffer): boolean {
  return bytes.length >= SIP_VERSION.length && bytes.compare(SIP_VERSION, 0, SIP_VERSION.length, 0, SIP_VERSION.length) === 0;
}

function firstToken(bytes: Buffer): string {
  const space = bytes.indexOf(0x20);
  return space > 0 && space < 32 ? bytes.toString('latin1', 0, space) : 'unknown';
}
