/**
 * Test certificates made by the test itself with openssl (Debian's, always on the machine): a CA,
 * server certificates for 127.0.0.1 / localhost signed by it, and client certificates. Written to
 * a fresh temporary directory; nothing is committed or downloaded.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface CertFiles {
  dir: string;
  caCert: string;
  caKey: string;
}

export interface Issued {
  cert: string;
  key: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** A fresh CA in a new temporary directory. */
export function makeCa(name = 'sipdispatch test CA'): CertFiles {
  const dir = mkdtempSync(path.join(tmpdir(), 'sipdispatch-certs-'));
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', 'ca.key', '-out', 'ca.pem'], dir);
  return { dir, caCert: path.join(dir, 'ca.pem'), caKey: path.join(dir, 'ca.key') };
}

let serial = 0;

/** A certificate signed by the CA; `names` go into subjectAltName (IP literals as IP entries). */
export function issue(ca: CertFiles, cn: string, names: string[] = [], purpose: 'server' | 'client' = 'server'): Issued {
  const base = `${purpose}-${cn.replace(/[^a-z0-9]/gi, '_')}-${++serial}`;
  const san = names.map((n) => (/^[\d.]+$/.test(n) || n.includes(':') ? `IP:${n}` : `DNS:${n}`)).join(',');
  const ext = [`extendedKeyUsage=${purpose === 'server' ? 'serverAuth' : 'clientAuth'}`, ...(san ? [`subjectAltName=${san}`] : [])].join('\n');
  writeFileSync(path.join(ca.dir, `${base}.ext`), `${ext}\n`);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${base}.key`, '-out', `${base}.csr`], ca.dir);
  openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', ca.caCert, '-CAkey', ca.caKey, '-CAcreateserial', '-days', '2', '-extfile', `${base}.ext`, '-out', `${base}.pem`], ca.dir);
  return { cert: path.join(ca.dir, `${base}.pem`), key: path.join(ca.dir, `${base}.key`) };
}

/** A server certificate for 127.0.0.1 and localhost. */
export function loopbackServer(ca: CertFiles, cn = 'sipdispatch.test'): Issued {
  return issue(ca, cn, ['127.0.0.1', 'localhost', cn]);
}

export function read(file: string): Buffer {
  return readFileSync(file);
}
