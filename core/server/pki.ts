// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs this polyfill.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { stringify as toYaml } from 'yaml';

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
type CryptoKey = webcrypto.CryptoKey;
// x509 is typed against the DOM's Crypto; Node's webcrypto is that implementation.
const crypto = webcrypto as unknown as NonNullable<
  Parameters<typeof x509.X509CertificateGenerator.create>[1]
>;

/** ClusterPki is the cluster CA, the API server's serving pair and the admin token, as PEM text. */
export interface ClusterPki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  adminToken: string;
  /** nodeToken is what a joining node agent presents (`<data-dir>/node-token`, as k3s does). */
  nodeToken: string;
}

/** pkiPaths are where the files live under a data dir. */
export function pkiPaths(dataDir: string) {
  const dir = join(dataDir, 'pki');
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'apiserver.crt'),
    serverKey: join(dir, 'apiserver.key'),
    adminToken: join(dir, 'admin.token'),
    nodeToken: join(dataDir, 'node-token'),
    kubeconfig: join(dataDir, 'admin.kubeconfig'),
  };
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), algorithm, true, [
    'sign',
  ]);
}

const serial = () => `01${randomBytes(15).toString('hex')}`;

function validity(years: number) {
  const notBefore = new Date(Date.now() - 60 * 60 * 1000);
  const notAfter = new Date(notBefore);
  notAfter.setFullYear(notAfter.getFullYear() + years);
  return { notBefore, notAfter };
}

async function createCa(): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  const keys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name: 'CN=skiff-ca',
      ...validity(10),
      keys,
      signingAlgorithm: algorithm,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign |
            x509.KeyUsageFlags.cRLSign |
            x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { cert, key: keys.privateKey };
}

async function createServing(ca: { cert: x509.X509Certificate; key: CryptoKey }, hosts: string[]) {
  const keys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const names = [...new Set(['localhost', hostname(), ...hosts])];
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: 'CN=skiff-apiserver',
      issuer: ca.cert.subject,
      ...validity(1),
      signingKey: ca.key,
      publicKey: keys.publicKey,
      signingAlgorithm: algorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          ...names
            .filter((n) => !/^[\d.]+$|:/.test(n))
            .map((value) => ({ type: 'dns' as const, value })),
          ...[...new Set(['127.0.0.1', ...names.filter((n) => /^[\d.]+$|:/.test(n))])].map(
            (value) => ({
              type: 'ip' as const,
              value,
            }),
          ),
        ]),
        await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false, crypto),
      ],
    },
    crypto,
  );
  return { cert: cert.toString('pem'), key: await keyPem(keys.privateKey) };
}

function writeSecret(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
}

/**
 * ensurePki loads the cluster CA, serving certificate and admin token from the data dir,
 * creating whatever is missing (first start). The serving certificate names 127.0.0.1,
 * localhost, this host's name and any extra hosts.
 */
export async function ensurePki(dataDir: string, extraHosts: string[] = []): Promise<ClusterPki> {
  const p = pkiPaths(dataDir);
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  let ca: { cert: x509.X509Certificate; key: CryptoKey };
  if (existsSync(p.caCert) && existsSync(p.caKey)) {
    ca = {
      cert: new x509.X509Certificate(readFileSync(p.caCert, 'utf8')),
      key: await importKey(readFileSync(p.caKey, 'utf8')),
    };
  } else {
    ca = await createCa();
    writeSecret(p.caKey, await keyPem(ca.key));
    writeFileSync(p.caCert, ca.cert.toString('pem'));
  }
  if (!existsSync(p.serverCert) || !existsSync(p.serverKey)) {
    const serving = await createServing(ca, extraHosts);
    writeSecret(p.serverKey, serving.key);
    writeFileSync(p.serverCert, serving.cert);
  }
  if (!existsSync(p.adminToken)) writeSecret(p.adminToken, `${randomBytes(32).toString('hex')}\n`);
  if (!existsSync(p.nodeToken)) writeSecret(p.nodeToken, `${randomBytes(32).toString('hex')}\n`);
  return {
    caCert: readFileSync(p.caCert, 'utf8'),
    serverCert: readFileSync(p.serverCert, 'utf8'),
    serverKey: readFileSync(p.serverKey, 'utf8'),
    adminToken: readFileSync(p.adminToken, 'utf8').trim(),
    nodeToken: readFileSync(p.nodeToken, 'utf8').trim(),
  };
}

/** adminKubeconfig is a kubeconfig that trusts the cluster CA and carries the admin token. */
export function adminKubeconfig(server: string, pki: ClusterPki): string {
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'skiff',
        cluster: {
          server,
          'certificate-authority-data': Buffer.from(pki.caCert).toString('base64'),
        },
      },
    ],
    users: [{ name: 'skiff-admin', user: { token: pki.adminToken } }],
    contexts: [{ name: 'skiff', context: { cluster: 'skiff', user: 'skiff-admin' } }],
    'current-context': 'skiff',
    preferences: {},
  });
}

/** writeAdminKubeconfig writes `<data-dir>/admin.kubeconfig` (mode 0600) and returns its path. */
export function writeAdminKubeconfig(dataDir: string, server: string, pki: ClusterPki): string {
  const path = pkiPaths(dataDir).kubeconfig;
  writeSecret(path, adminKubeconfig(server, pki));
  return path;
}
