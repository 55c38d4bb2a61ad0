import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../sdk/api/core/service.ts';
import type { KubeClient } from '../../sdk/client/client.ts';
import { isSkiffError, type SkiffError } from '../../sdk/errors.ts';
import { type ApiServer, startApiServer } from '../controller-kit/api-server.ts';

// Service allocation through a real `skiff server` process and the real kubectl: the
// kubernetes Service, kubectl create service / expose, the 422 refusals, and no address or
// node port handed out twice, by parallel creates or across a restart.

const kubectlPath = '/usr/bin/kubectl';
let server: ApiServer;
let client: KubeClient;
let home: string;
const services = { group: '', version: 'v1', plural: 'services', namespace: 'default' };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const kubectl = (...args: string[]) =>
  new Promise<Run>((resolve) => {
    execFile(
      kubectlPath,
      ['--cache-dir', join(home, 'cache'), ...args],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: home,
          KUBECONFIG: server.kubeconfig,
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) =>
        resolve({
          code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1,
          stdout,
          stderr,
        }),
    );
  });

const json = async <T>(...args: string[]): Promise<T> => {
  const r = await kubectl(...args, '-o', 'json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
};

const inCidr = /^10\.43\.\d{1,3}\.\d{1,3}$/;

beforeAll(async () => {
  if (!existsSync(kubectlPath))
    throw new Error(`these tests need the real kubectl at ${kubectlPath}, which is missing`);
  home = mkdtempSync(join(tmpdir(), 'skiff-svc-kubectl-'));
  server = await startApiServer();
  client = server.client();
});

afterAll(async () => {
  client?.close();
  await server?.remove();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('Services in the API server', () => {
  it('has the kubernetes Service at .1 with endpoints at the API server', async () => {
    const r = await kubectl('get', 'svc');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^kubernetes\s+ClusterIP\s+10\.43\.0\.1\s+<none>\s+443\/TCP/m);
    const ep = await json<{
      subsets: { addresses: { ip: string }[]; ports: { port: number }[] }[];
    }>('get', 'endpoints', 'kubernetes');
    expect(ep.subsets[0]?.addresses[0]?.ip).toBe('127.0.0.1');
    expect(ep.subsets[0]?.ports[0]?.port).toBe(server.port);
    const slice = await json<{ endpoints: { addresses: string[] }[] }>(
      'get',
      'endpointslices.discovery.k8s.io',
      'kubernetes',
    );
    expect(slice.endpoints[0]?.addresses).toEqual(['127.0.0.1']);
  });

  it('kubectl create service clusterip gets an address from the range', async () => {
    const r = await kubectl('create', 'service', 'clusterip', 'web', '--tcp=80:8080');
    expect(r.code, r.stderr).toBe(0);
    const svc = await json<Service>('get', 'svc', 'web');
    expect(svc.spec?.clusterIP).toMatch(inCidr);
    expect(svc.spec?.clusterIPs).toEqual([svc.spec?.clusterIP]);
    expect(svc.spec?.ipFamilies).toEqual(['IPv4']);
    expect(svc.spec?.ipFamilyPolicy).toBe('SingleStack');
    // kubectl apply of the same Service without clusterIP keeps the address.
    const headless = await kubectl('create', 'service', 'clusterip', 'hl', '--clusterip=None');
    expect(headless.code, headless.stderr).toBe(0);
    expect((await json<Service>('get', 'svc', 'hl')).spec?.clusterIPs).toEqual(['None']);
  });

  it('kubectl create service nodeport takes the requested port, refuses it twice and out of range', async () => {
    const ok = await kubectl(
      'create',
      'service',
      'nodeport',
      'np',
      '--tcp=80:80',
      '--node-port=30080',
    );
    expect(ok.code, ok.stderr).toBe(0);
    const svc = await json<Service>('get', 'svc', 'np');
    expect(svc.spec?.ports?.[0]?.nodePort).toBe(30080);
    expect(svc.spec?.clusterIP).toMatch(inCidr);
    const taken = await kubectl(
      'create',
      'service',
      'nodeport',
      'np2',
      '--tcp=80:80',
      '--node-port=30080',
    );
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toContain(
      'Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated',
    );
    const low = await kubectl(
      'create',
      'service',
      'nodeport',
      'np3',
      '--tcp=80:80',
      '--node-port=80',
    );
    expect(low.code).not.toBe(0);
    expect(low.stderr).toContain(
      'spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
    const none = await kubectl('get', 'svc', 'np2', 'np3', '--ignore-not-found', '-o', 'name');
    expect(none.stdout.trim()).toBe('');
  });

  it('kubectl expose allocates for a pod, and a type change to NodePort allocates ports', async () => {
    const run = await kubectl('run', 'exposed', '--image=busybox', '--labels=app=exposed');
    expect(run.code, run.stderr).toBe(0);
    const exposed = await kubectl('expose', 'pod', 'exposed', '--port=8080', '--name=exposed');
    expect(exposed.code, exposed.stderr).toBe(0);
    const svc = await json<Service>('get', 'svc', 'exposed');
    expect(svc.spec?.clusterIP).toMatch(inCidr);
    const patched = await kubectl('patch', 'svc', 'exposed', '-p', '{"spec":{"type":"NodePort"}}');
    expect(patched.code, patched.stderr).toBe(0);
    const after = await json<Service>('get', 'svc', 'exposed');
    expect(after.spec?.clusterIP).toBe(svc.spec?.clusterIP);
    const port = after.spec?.ports?.[0]?.nodePort ?? 0;
    expect(port).toBeGreaterThanOrEqual(30000);
    expect(port).toBeLessThanOrEqual(32767);
    const immutable = await kubectl(
      'patch',
      'svc',
      'exposed',
      '-p',
      '{"spec":{"clusterIP":"10.43.9.9"}}',
    );
    expect(immutable.code).not.toBe(0);
    expect(immutable.stderr).toContain('field is immutable');
    // Back to ClusterIP: the node port is given up and can be taken by another Service.
    const back = await kubectl('patch', 'svc', 'exposed', '-p', '{"spec":{"type":"ClusterIP"}}');
    expect(back.code, back.stderr).toBe(0);
    const reuse = await kubectl(
      'create',
      'service',
      'nodeport',
      'reuse',
      '--tcp=81:81',
      `--node-port=${port}`,
    );
    expect(reuse.code, reuse.stderr).toBe(0);
  });

  it('a clusterIP outside the range or taken is 422 Invalid with causes, and nothing is stored', async () => {
    const body = (name: string, clusterIP: string): Service => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { clusterIP, ports: [{ port: 80 }] },
    });
    const refused = async (p: Promise<unknown>): Promise<SkiffError> => {
      try {
        await p;
      } catch (err) {
        if (isSkiffError(err)) return err;
        throw err;
      }
      throw new Error('expected a refusal');
    };
    const outside = await refused(client.create(services, body('outside', '10.0.0.5')));
    expect(outside.code).toBe('Invalid');
    expect(outside.message).toBe(
      'Service "outside" is invalid: spec.clusterIPs: Invalid value: "10.0.0.5": failed to allocate IP 10.0.0.5: provided IP is not in the valid range. The range of valid IPs is 10.43.0.0/16',
    );
    expect(outside.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.clusterIPs',
        message:
          'Invalid value: "10.0.0.5": failed to allocate IP 10.0.0.5: provided IP is not in the valid range. The range of valid IPs is 10.43.0.0/16',
      },
    ]);
    const taken = await refused(client.create(services, body('taken', '10.43.0.1')));
    expect(taken.message).toContain(
      'failed to allocate IP 10.43.0.1: provided IP is already allocated',
    );
    const dup = await refused(
      client.create(services, {
        ...body('dup', ''),
        spec: {
          ports: [
            { name: 'a', port: 80 },
            { name: 'b', port: 80 },
          ],
        },
      }),
    );
    expect(dup.code).toBe('Invalid');
    expect(dup.causes.map((c) => c.reason)).toContain('FieldValueDuplicate');
    const left = await kubectl(
      'get',
      'svc',
      'outside',
      'taken',
      'dup',
      '--ignore-not-found',
      '-o',
      'name',
    );
    expect(left.stdout.trim()).toBe('');
    // A dry run shows an address but takes none: the same address is still free afterwards.
    const dry = await client.create(services, body('dry', '10.43.7.7'), { dryRun: true });
    expect((dry as Service).spec?.clusterIP).toBe('10.43.7.7');
    const real = await client.create(services, body('real', '10.43.7.7'));
    expect((real as Service).spec?.clusterIP).toBe('10.43.7.7');
  });

  it('50 parallel creates get 50 different addresses, and none is handed out again after a restart', async () => {
    const made = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        client.create<Service>(services, {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: `par-${i}` },
          spec: { type: 'NodePort', ports: [{ port: 80 }] },
        }),
      ),
    );
    const ips = made.map((s) => s.spec?.clusterIP);
    const ports = made.map((s) => s.spec?.ports?.[0]?.nodePort);
    expect(new Set(ips).size).toBe(50);
    expect(new Set(ports).size).toBe(50);
    client.close();
    await server.restart();
    client = server.client();
    const again = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        client.create<Service>(services, {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: `after-${i}` },
          spec: { type: 'NodePort', ports: [{ port: 80 }] },
        }),
      ),
    );
    const all = (await client.list<Service>(services)).items;
    const allIps = all.map((s) => s.spec?.clusterIP).filter((ip) => ip !== 'None');
    const allPorts = all
      .flatMap((s) => (s.spec?.ports ?? []).map((p) => p.nodePort))
      .filter((p) => p);
    expect(new Set(allIps).size).toBe(allIps.length);
    expect(new Set(allPorts).size).toBe(allPorts.length);
    expect(again).toHaveLength(20);
    // Deleting a Service frees its address for a request that names it.
    const first = made[0]?.spec?.clusterIP ?? '';
    await client.delete(services, 'par-0');
    const reused = await client.create<Service>(services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'reused' },
      spec: { clusterIP: first, ports: [{ port: 80 }] },
    });
    expect(reused.spec?.clusterIP).toBe(first);
  });
});
