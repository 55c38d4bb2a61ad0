import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ensurePki, pkiPaths, writeAdminKubeconfig } from './pki.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-pki-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cluster PKI', () => {
  it('creates a CA whose serving certificate names 127.0.0.1 and localhost, and keeps it on restart', async () => {
    const first = await ensurePki(dir);
    const ca = new X509Certificate(first.caCert);
    const serving = new X509Certificate(first.serverCert);
    expect(ca.ca).toBe(true);
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(serving.checkIssued(ca)).toBe(true);
    expect(serving.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(serving.subjectAltName).toContain('DNS:localhost');
    expect(serving.checkHost('localhost')).toBe('localhost');
    expect(first.adminToken).toMatch(/^[0-9a-f]{64}$/);
    expect(first.nodeToken).toMatch(/^[0-9a-f]{64}$/);
    expect(first.nodeToken).not.toBe(first.adminToken);
    expect(readFileSync(join(dir, 'node-token'), 'utf8').trim()).toBe(first.nodeToken);
    expect(statSync(pkiPaths(dir).caKey).mode & 0o777).toBe(0o600);
    const second = await ensurePki(dir);
    expect(second).toEqual(first);
  });

  it('writes an admin kubeconfig that trusts the CA and carries the token', async () => {
    const pki = await ensurePki(dir);
    const path = writeAdminKubeconfig(dir, 'https://127.0.0.1:6443', pki);
    expect(path).toBe(join(dir, 'admin.kubeconfig'));
    const cfg = parse(readFileSync(path, 'utf8'));
    expect(cfg['current-context']).toBe('skiff');
    const cluster = cfg.clusters[0].cluster;
    expect(cluster.server).toBe('https://127.0.0.1:6443');
    expect(Buffer.from(cluster['certificate-authority-data'], 'base64').toString()).toBe(
      pki.caCert,
    );
    expect(cfg.users[0].user.token).toBe(pki.adminToken);
  });
});
