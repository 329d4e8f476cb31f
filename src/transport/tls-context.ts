/**
 * The certificates of our TLS and WSS listeners and how we verify peers, read from PEM files.
 * Reload reads everything again and swaps it in only when all of it is valid: a bad file keeps
 * the certificates in force (Kamailio's `tls.reload`). Servers take the new context for new
 * handshakes; established connections carry on.
 */
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { SipDispatchError } from '../shared/errors.js';

export interface TlsOptions {
  /** PEM certificate (chain) and key of the listeners; required with a tls: or wss: listener. */
  certificate: string | undefined;
  privateKey: string | undefined;
  /** PEM CA bundle: verifies client certificates, and backends (else the system CAs). */
  caList: string | undefined;
  /** More certificates, chosen by the client's SNI. */
  serverNames: ReadonlyArray<{ serverName: string; certificate: string; privateKey: string }>;
  verifyClient: 'off' | 'on' | 'optional';
  verifyServer: boolean;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  handshakeTimeoutMs: number;
}

/** What `tls.reload` and the logs show of a certificate in force. */
export interface CertificateInfo {
  serverName: string;
  subject: string;
  notAfter: string;
  fingerprint256: string;
}

interface Loaded {
  /** undefined without certificate and key (client side only). */
  defaultContext: tls.SecureContextOptions | undefined;
  byName: Map<string, tls.SecureContext>;
  ca: Buffer | undefined;
  info: CertificateInfo[];
}

export class TlsContexts {
  private constructor(
    readonly options: TlsOptions,
    private loaded: Loaded,
  ) {}

  /** Rejects with TLS_CONFIG naming the file when one cannot be read or parsed. */
  static async load(options: TlsOptions): Promise<TlsContexts> {
    return new TlsContexts(options, await read(options));
  }

  get hasCertificate(): boolean {
    return this.loaded.defaultContext !== undefined;
  }

  certificates(): readonly CertificateInfo[] {
    return this.loaded.info;
  }

  /** For `tls.createServer` / `https.createServer`: the current certificates and the client policy. */
  serverOptions(): tls.TlsOptions {
    const { verifyClient, minVersion, handshakeTimeoutMs } = this.options;
    return {
      ...this.loaded.defaultContext,
      ca: this.loaded.ca,
      minVersion,
      handshakeTimeout: handshakeTimeoutMs,
      requestCert: verifyClient !== 'off',
      // optional: a client without a certificate is let in; one with a bad certificate is not (see accepts())
      rejectUnauthorized: verifyClient === 'on',
      SNICallback: (name, done) => done(null, this.loaded.byName.get(name.toLowerCase())),
    };
  }

  /** For the socket of an accepted connection: false when it showed a certificate that did not verify. */
  accepts(socket: tls.TLSSocket): boolean {
    if (this.options.verifyClient !== 'optional' || socket.authorized) return true;
    const cert = socket.getPeerCertificate();
    return !cert || Object.keys(cert).length === 0;
  }

  /** For `tls.connect` toward a backend; `host` is sent as SNI unless it is an IP address. */
  clientOptions(host: string, port: number): tls.ConnectionOptions {
    return {
      host,
      port,
      servername: isIP(host) === 0 ? host : undefined,
      ca: this.loaded.ca,
      rejectUnauthorized: this.options.verifyServer,
      minVersion: this.options.minVersion,
    };
  }

  /**
   * Reads every file again; on success the new certificates are in force for new handshakes and
   * `servers` get the new default context. Rejects with TLS_CONFIG (the old ones stay) otherwise.
   */
  async reload(servers: Iterable<tls.Server>): Promise<readonly CertificateInfo[]> {
    const next = await read(this.options);
    this.loaded = next;
    for (const server of servers) server.setSecureContext(this.serverOptions());
    return next.info;
  }
}

async function read(options: TlsOptions): Promise<Loaded> {
  const ca = options.caList === undefined ? undefined : await readPem(options.caList, 'ca_list');
  if (ca) certificateInfo(ca, options.caList!, '(ca_list)');
  const info: CertificateInfo[] = [];
  let defaultContext: tls.SecureContextOptions | undefined;
  if (options.certificate !== undefined || options.privateKey !== undefined) {
    if (options.certificate === undefined || options.privateKey === undefined) {
      throw new SipDispatchError('TLS_CONFIG', 'tls.certificate and tls.private_key go together: set both', {});
    }
    defaultContext = await pair(options.certificate, options.privateKey, '*', info);
  }
  const byName = new Map<string, tls.SecureContext>();
  for (const s of options.serverNames) {
    const pairOptions = await pair(s.certificate, s.privateKey, s.serverName, info);
    byName.set(s.serverName.toLowerCase(), tls.createSecureContext({ ...pairOptions, ca, minVersion: options.minVersion }));
  }
  return { defaultContext, byName, ca, info };
}

/** Reads a certificate and its key and proves they belong together (createSecureContext checks). */
async function pair(certFile: string, keyFile: string, serverName: string, info: CertificateInfo[]): Promise<tls.SecureContextOptions> {
  const cert = await readPem(certFile, 'certificate');
  const key = await readPem(keyFile, 'private_key');
  info.push(certificateInfo(cert, certFile, serverName));
  try {
    tls.createSecureContext({ cert, key });
  } catch (e) {
    throw new SipDispatchError('TLS_CONFIG', `${keyFile}: ${(e as Error).message} (does the key match ${certFile}?)`, { file: keyFile }, { cause: e });
  }
  return { cert, key };
}

async function readPem(file: string, what: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new SipDispatchError('TLS_CONFIG', `${file}: cannot read the ${what}: ${(e as Error).message}`, { file }, { cause: e });
  }
  if (!bytes.includes('-----BEGIN ')) throw new SipDispatchError('TLS_CONFIG', `${file}: the ${what} is not PEM (no -----BEGIN line)`, { file });
  return bytes;
}

function certificateInfo(pem: Buffer, file: string, serverName: string): CertificateInfo {
  try {
    const x = new X509Certificate(pem);
    return { serverName, subject: x.subject.replace(/\n/g, ', '), notAfter: x.validTo, fingerprint256: x.fingerprint256 };
  } catch (e) {
    throw new SipDispatchError('TLS_CONFIG', `${file}: not a valid certificate: ${(e as Error).message}`, { file }, { cause: e });
  }
}
