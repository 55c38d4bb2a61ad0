import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { demoPod, type SkiffServer, startSkiffServer } from './kubectl-harness.ts';

// The real kubectl 1.32 against `skiff server`: each case asserts what kubectl prints
// against Kubernetes for the same command.

const seeds = '/work/shared/manifests/seeds';
let server: SkiffServer;
let work: string;

beforeAll(async () => {
  server = await startSkiffServer();
  work = server.daemon.dir;
});

afterAll(async () => {
  await server?.daemon.stop();
});

const k = (...args: string[]) => server.kubectl(args);
const file = (name: string, text: string) => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};

describe('kubectl against skiff server', () => {
  it('version reports the server as 1.32', async () => {
    const r = await k('version');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Client Version: v1\.32\./m);
    expect(r.stdout).toMatch(/^Server Version: v1\.32\.0/m);
  });

  it('api-resources lists the built-in kinds with short names and groups', async () => {
    const r = await k('api-resources');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/m);
    expect(r.stdout).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    expect(r.stdout).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(r.stdout).toMatch(/^nodes\s+no\s+v1\s+false\s+Node$/m);
    for (const kind of [
      'CronJob',
      'HorizontalPodAutoscaler',
      'IngressClass',
      'StorageClass',
      'Lease',
      'RuntimeClass',
    ])
      expect(r.stdout).toMatch(new RegExp(`\\s${kind}$`, 'm'));
  });

  it('cluster-info names the control plane', async () => {
    const r = await k('cluster-info');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /Kubernetes control plane.* is running at .*https:\/\/127\.0\.0\.1:\d+/,
    );
  });

  it('get pods, nodes, svc and deployments on an empty cluster', async () => {
    for (const what of ['pods', 'deployments']) {
      const r = await k('get', what);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('No resources found in default namespace.');
    }
    // As in Kubernetes, the only Service of a new cluster is the API server's own.
    const svc = await k('get', 'svc', '-o', 'name');
    expect(svc.code, svc.stderr).toBe(0);
    expect(svc.stdout.trim()).toBe('service/kubernetes');
    const nodes = await k('get', 'nodes');
    expect(nodes.code).toBe(0);
    expect(nodes.stderr).toContain('No resources found');
  });

  it('apply -f: created, unchanged, configured, then --server-side', async () => {
    const seed = join(seeds, 'nginx-deployment.yaml');
    const created = await k('apply', '-f', seed);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout.trim()).toBe('deployment.apps/nginx-deployment created');
    const unchanged = await k('apply', '-f', seed);
    expect(unchanged.stdout.trim()).toBe('deployment.apps/nginx-deployment unchanged');
    const changed = file(
      'nginx-2.yaml',
      readFileSync(seed, 'utf8').replace(/replicas: \d+/, 'replicas: 2'),
    );
    const configured = await k('apply', '-f', changed);
    expect(configured.code, configured.stderr).toBe(0);
    expect(configured.stdout.trim()).toBe('deployment.apps/nginx-deployment configured');
    const replicas = await k(
      'get',
      'deploy',
      'nginx-deployment',
      '-o',
      'jsonpath={.spec.replicas} {.metadata.generation}',
    );
    expect(replicas.stdout).toBe('2 2');
    const ssa = await k('apply', '--server-side', '-f', file('ssa.yaml', demoPod('ssa-pod')));
    expect(ssa.code, ssa.stderr).toBe(0);
    expect(ssa.stdout.trim()).toBe('pod/ssa-pod serverside-applied');
  });

  it('get deployments with -o wide, -o yaml, -A and -l', async () => {
    const wide = await k('get', 'deployments', '-o', 'wide');
    expect(wide.code, wide.stderr).toBe(0);
    expect(wide.stdout).toMatch(
      /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/m,
    );
    expect(wide.stdout).toMatch(
      /^nginx-deployment\s+0\/2\s+0\s+0\s+\d+s\s+nginx\s+nginx:1\.7\.9\s+app=nginx$/m,
    );
    const narrow = await k('get', 'deployments');
    expect(narrow.stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m);
    const yaml = await k('get', 'deploy', 'nginx-deployment', '-o', 'yaml');
    expect(yaml.stdout).toMatch(/^apiVersion: apps\/v1$/m);
    expect(yaml.stdout).toMatch(/^kind: Deployment$/m);
    expect(yaml.stdout).toMatch(/^ {2}uid: [0-9a-f-]{36}$/m);
    const all = await k('get', 'pods', '-A');
    expect(all.stdout).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
    expect(all.stdout).toMatch(/^default\s+ssa-pod\s+0\/1\s+Pending\s+0\s+\d+s$/m);
    const podsWide = await k('get', 'pods', '-o', 'wide');
    expect(podsWide.stdout).toMatch(
      /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/m,
    );
    const labelled = await k('get', 'pods', '-l', 'app=demo', '-o', 'name');
    expect(labelled.stdout.trim()).toBe('pod/ssa-pod');
    const none = await k('get', 'pods', '-l', 'app=other');
    expect(none.stderr).toContain('No resources found in default namespace.');
  });

  it('create -f, then AlreadyExists with exit 1', async () => {
    const path = file('pod-a.yaml', demoPod('pod-a'));
    const r = await k('create', '-f', path);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('pod/pod-a created');
    const again = await k('create', '-f', path);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      `Error from server (AlreadyExists): error when creating "${path}": pods "pod-a" already exists`,
    );
  });

  it('describe pod shows the pod and its events', async () => {
    const uid = (await k('get', 'pod', 'pod-a', '-o', 'jsonpath={.metadata.uid}')).stdout;
    const event = `apiVersion: v1
kind: Event
metadata:
  name: pod-a.1
involvedObject:
  apiVersion: v1
  kind: Pod
  name: pod-a
  namespace: default
  uid: ${uid}
reason: Scheduled
message: Successfully assigned default/pod-a to node-1
type: Normal
source:
  component: default-scheduler
count: 1
firstTimestamp: "2026-01-01T00:00:00Z"
lastTimestamp: "2026-01-01T00:00:00Z"
`;
    const created = await k('create', '-f', file('event.yaml', event));
    expect(created.code, created.stderr).toBe(0);
    const r = await k('describe', 'pod', 'pod-a');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Name:\s+pod-a$/m);
    expect(r.stdout).toMatch(/^Namespace:\s+default$/m);
    expect(r.stdout).toMatch(/^Labels:\s+app=demo$/m);
    expect(r.stdout).toMatch(/^Events:$/m);
    expect(r.stdout).toMatch(
      /Normal\s+Scheduled\s+.*default-scheduler\s+Successfully assigned default\/pod-a to node-1/,
    );
  });

  it('scale, label and annotate a deployment', async () => {
    const scaled = await k('scale', 'deployment', 'nginx-deployment', '--replicas=5');
    expect(scaled.code, scaled.stderr).toBe(0);
    expect(scaled.stdout.trim()).toBe('deployment.apps/nginx-deployment scaled');
    const labelled = await k('label', 'deployment', 'nginx-deployment', 'tier=web');
    expect(labelled.stdout.trim()).toBe('deployment.apps/nginx-deployment labeled');
    const annotated = await k('annotate', 'deployment', 'nginx-deployment', 'owner=team-a');
    expect(annotated.stdout.trim()).toBe('deployment.apps/nginx-deployment annotated');
    const r = await k(
      'get',
      'deploy',
      'nginx-deployment',
      '-o',
      'jsonpath={.spec.replicas} {.metadata.labels.tier} {.metadata.annotations.owner}',
    );
    expect(r.stdout).toBe('5 web team-a');
  });

  it('create secret generic and create configmap', async () => {
    const s = await k('create', 'secret', 'generic', 'creds', '--from-literal=password=hunter2');
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout.trim()).toBe('secret/creds created');
    const data = await k('get', 'secret', 'creds', '-o', 'jsonpath={.type} {.data.password}');
    expect(data.stdout).toBe(`Opaque ${Buffer.from('hunter2').toString('base64')}`);
    const c = await k('create', 'configmap', 'settings', '--from-literal=mode=fast');
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout.trim()).toBe('configmap/settings created');
  });

  it('edit through KUBE_EDITOR', async () => {
    const editor = file('editor.sh', '#!/bin/sh\nsed -i "s/mode: fast/mode: slow/" "$1"\n');
    const r = await server.kubectl(['edit', 'configmap', 'settings'], {
      env: { KUBE_EDITOR: `sh ${editor}` },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('configmap/settings edited');
    expect((await k('get', 'cm', 'settings', '-o', 'jsonpath={.data.mode}')).stdout).toBe('slow');
  });

  it('explain deployment.spec reads the served schemas', async () => {
    const r = await k('explain', 'deployment.spec');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^GROUP:\s+apps$/m);
    expect(r.stdout).toMatch(/^KIND:\s+Deployment$/m);
    expect(r.stdout).toMatch(/^VERSION:\s+v1$/m);
    expect(r.stdout).toMatch(/^FIELD:\s+spec <DeploymentSpec>$/m);
    expect(r.stdout).toMatch(/^DESCRIPTION:\n\s+The desired state of the Deployment/m);
    expect(r.stdout).toMatch(/^ {2}replicas\s+<integer>\n\s+How many pods of the template/m);
    expect(r.stdout).toMatch(/^ {2}template\s+<PodTemplateSpec> -required-$/m);
    expect(r.stdout).toMatch(/^ {2}selector\s+<LabelSelector> -required-$/m);
  });

  it('get pods -w prints a pod created while watching', async () => {
    const child = server.watch(['get', 'pods', '-w']);
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    try {
      await waitFor(() => /^NAME\s/m.test(out), 'the watch header');
      const r = await k('create', '-f', file('watched.yaml', demoPod('watched')));
      expect(r.code, r.stderr).toBe(0);
      await waitFor(() => /^watched\s/m.test(out), 'the new pod in the watch');
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('logs of an unscheduled pod are empty and exec says it has no host, as Kubernetes', async () => {
    const logs = await k('logs', 'pod-a');
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toBe('');
    const exec = await k('exec', 'pod-a', '--', 'true');
    expect(exec.code).toBe(1);
    expect(exec.stderr).toContain(
      'Error from server (BadRequest): pod pod-a does not have a host assigned',
    );
  });

  it('refuses a request without the admin token with 401 over HTTPS', async () => {
    const cfg = parse(readFileSync(server.kubeconfig, 'utf8'));
    const cluster = cfg.clusters[0].cluster;
    const url = new URL(`${cluster.server}/api/v1/namespaces/default/pods`);
    const ca = Buffer.from(cluster['certificate-authority-data'], 'base64');
    const get = (headers: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpsRequest(url, { ca, headers }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    const anonymous = await get({});
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body)).toMatchObject({
      kind: 'Status',
      reason: 'Unauthorized',
      code: 401,
    });
    const admin = await get({ authorization: `Bearer ${cfg.users[0].user.token}` });
    expect(admin.status).toBe(200);
    // The join token only joins a node (POST /skiff/v1/nodes/join); reading pods is forbidden.
    const nodeToken = readFileSync(join(work, 'data', 'node-token'), 'utf8').trim();
    const joinOnly = await get({ authorization: `Bearer ${nodeToken}` });
    expect(joinOnly.status).toBe(403);
    expect(JSON.parse(joinOnly.body)).toMatchObject({ reason: 'Forbidden', code: 403 });
    expect((await get({ authorization: 'Bearer wrong' })).status).toBe(401);
  });

  it('delete pod X and delete -f', async () => {
    const r = await k('delete', 'pod', 'watched');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('pod "watched" deleted');
    const gone = await k('get', 'pod', 'watched');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('Error from server (NotFound): pods "watched" not found');
    const f = await k('delete', '-f', join(work, 'pod-a.yaml'));
    expect(f.stdout.trim()).toBe('pod "pod-a" deleted');
    const missing = await k('delete', 'pod', 'nobody');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error from server (NotFound): pods "nobody" not found');
  });
});

async function waitFor(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
