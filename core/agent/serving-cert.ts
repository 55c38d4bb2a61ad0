// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs this polyfill.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { hostname } from 'node:os';
import * as x509 from '@peculiar/x509';

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
// x509 is typed against the DOM's Crypto; Node's webcrypto is that implementation.
const crypto = webcrypto as unknown as NonNullable<
  Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1]
>;

/**
 * selfSignedServingCert makes a key pair and a self-signed serving certificate for this host
 * (its name, localhost, 127.0.0.1 and any extra names), as a kubelet does when it is given none:
 * the API server does not verify it, the bearer token guards the endpoint.
 */
export async function selfSignedServingCert(
  extraNames: string[] = [],
): Promise<{ key: string; cert: string }> {
  const keys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const names = [...new Set(['localhost', hostname(), '127.0.0.1', ...extraNames])];
  const isIp = (n: string) => /^[\d.]+$|:/.test(n);
  const notBefore = new Date(Date.now() - 60 * 60 * 1000);
  const notAfter = new Date(notBefore.getTime() + 365 * 24 * 60 * 60 * 1000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: `01${randomBytes(15).toString('hex')}`,
      name: `CN=${hostname()}@skiff-agent`,
      notBefore,
      notAfter,
      keys,
      signingAlgorithm: algorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(
          names.map((value) => ({ type: isIp(value) ? ('ip' as const) : ('dns' as const), value })),
        ),
      ],
    },
    crypto,
  );
  const der = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { key: x509.PemConverter.encode(der, 'PRIVATE KEY'), cert: cert.toString('pem') };
}
