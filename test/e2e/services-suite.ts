// Services end to end, with real containers on a real runtime, driven by the real kubectl, on
// a one-node cluster inside a network namespace of the test's own (test/harness/netns-node.ts).
// One suite, run once per runtime by the services-*.test.ts files.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type NetnsNode,
  type NodeRuntimeName,
  nodeAddress,
  startNetnsNode,
} from '../harness/netns-node.ts';

const seeds = '/work/shared/manifests/seeds';
const seed = (name: string) => readFileSync(`${seeds}/${name}`, 'utf8');

/** waitFor polls until check returns a value, or fails naming what it waited for. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, ms = 90_000) {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${String(last ?? '')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

// Each replica serves its own hostname over HTTP on 8080, and is Ready while /tmp/ready exists.
const echoDeployment = (name: string, label: string, replicas: number) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${label} } }
  template:
    metadata: { labels: { app: ${label} } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: skiff.local/busybox:1
          command: [sh, -c, 'mkdir -p /w && hostname > /w/index.html && touch /tmp/ready && exec httpd -f -p 8080 -h /w']
          ports: [{ name: http, containerPort: 8080 }]
          readinessProbe:
            exec: { command: [cat, /tmp/ready] }
            periodSeconds: 1
            failureThreshold: 1
`;

const clientPod = `
apiVersion: v1
kind: Pod
metadata: { name: client, labels: { role: client } }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: c
      image: skiff.local/busybox:1
      command: [sleep, '3600']
`;

/**
 * servicesSuite runs the Service acceptance cases on a node with the given runtime; `core`
 * keeps to reaching a Service from a pod and a NodePort from the node, for runtimes whose
 * pods are costly (one micro-VM each).
 */
export function servicesSuite(runtime: NodeRuntimeName, scope: 'all' | 'core' = 'all'): void {
  const replicas = scope === 'all' ? 3 : 2;
  // Cases beyond the core are only declared for the whole suite (never skipped).
  const whole = (name: string, fn: () => Promise<void>, timeoutMs: number) => {
    if (scope === 'all') it(name, fn, timeoutMs);
  };
  let node: NetnsNode;
  const kubectl = async (...args: string[]) => {
    const r = await node.kubectl(args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const apply = (yaml: string) =>
    node.kubectl(['apply', '-f', '-'], yaml).then((r) => {
      if (r.code !== 0) throw new Error(`kubectl apply: ${r.stderr}`);
    });
  const jsonpath = (args: string[], path: string) => kubectl(...args, '-o', `jsonpath=${path}`);
  // An HTTP GET from the client pod: a new connection each time, so each one is balanced anew.
  const fromPod = async (url: string) => {
    const r = await node.kubectl([
      'exec',
      'client',
      '--',
      'timeout',
      '5',
      'wget',
      '-q',
      '-O',
      '-',
      url,
    ]);
    return r.code === 0 ? r.stdout.trim() : undefined;
  };
  // An HTTP GET from the node itself (the namespace's root: "the host" of this cluster).
  const fromNode = async (url: string) => {
    const r = await node.exec(
      'busybox',
      ['timeout', '5', 'busybox', 'wget', '-q', '-O', '-', url],
      10_000,
    );
    return r.code === 0 ? r.stdout : undefined;
  };
  const readyPods = async (label: string) => {
    const out = await jsonpath(
      ['get', 'pods', '-l', label],
      '{range .items[*]}{.metadata.name} {.status.podIP} {.status.conditions[?(@.type=="Ready")].status} {.metadata.deletionTimestamp}{"\\n"}{end}',
    );
    return out
      .split('\n')
      .map((l) => l.trim().split(' '))
      .filter((f) => f.length === 3 && f[2] === 'True')
      .map(([name, ip]) => ({ name: name as string, ip: ip as string }));
  };
  const endpointIps = async (service: string) =>
    (await jsonpath(['get', 'endpoints', service], '{.subsets[*].addresses[*].ip}'))
      .split(' ')
      .filter(Boolean)
      .sort();
  const hostnamesSeen = async (url: string, requests: number) => {
    const seen = new Map<string, number>();
    for (let i = 0; i < requests; i++) {
      const name = await fromPod(url);
      if (name) seen.set(name, (seen.get(name) ?? 0) + 1);
    }
    return seen;
  };

  beforeAll(async () => {
    node = await startNetnsNode({
      runtime,
      images: ['skiff.local/pause:1', 'skiff.local/busybox:1', 'stephengrider/multi-client'],
    });
    await apply(clientPod);
    await apply(echoDeployment('echo', 'echo', replicas));
    await apply(`
apiVersion: v1
kind: Service
metadata: { name: echo }
spec:
  selector: { app: echo }
  ports: [{ port: 80, targetPort: http }]
`);
    await waitFor('the client pod Ready', async () =>
      (await readyPods('role=client')).length === 1 ? true : undefined,
    );
    await waitFor(`${replicas} echo replicas Ready`, async () =>
      (await readyPods('app=echo')).length === replicas ? true : undefined,
    );
  }, 240_000);
  afterAll(async () => {
    await node?.stop();
  }, 120_000);

  describe(`Services on ${runtime}, in a network namespace`, () => {
    it('a client pod reaches a Service by short name, FQDN and ClusterIP, spread over every replica', async () => {
      const clusterIp = await jsonpath(['get', 'svc', 'echo'], '{.spec.clusterIP}');
      expect(clusterIp).toMatch(/^10\.43\./);
      const pods = (await readyPods('app=echo')).map((p) => p.name).sort();
      for (const url of [
        'http://echo',
        'http://echo.default.svc.cluster.local',
        `http://${clusterIp}`,
      ]) {
        const answer = await waitFor(`an answer from ${url}`, () => fromPod(url));
        expect(pods).toContain(answer);
      }
      const seen = await hostnamesSeen('http://echo', 30);
      expect([...seen.keys()].sort()).toEqual(pods);
    }, 180_000);

    whole(
      'a replica that is not Ready gets no traffic; one scaled away neither',
      async () => {
        const [first] = await readyPods('app=echo');
        if (!first) throw new Error('no Ready echo pod');
        await kubectl('exec', first.name, '--', 'rm', '/tmp/ready');
        await waitFor(`${first.ip} gone from the echo endpoints`, async () =>
          (await endpointIps('echo')).includes(first.ip) ? undefined : true,
        );
        const seen = await hostnamesSeen('http://echo', 20);
        expect(seen.has(first.name)).toBe(false);
        expect(seen.size).toBe(2);

        await kubectl('scale', 'deployment', 'echo', '--replicas=1');
        const left = await waitFor('one echo endpoint', async () => {
          const ips = await endpointIps('echo');
          return ips.length === 1 ? ips[0] : undefined;
        });
        const survivor = (await readyPods('app=echo')).find((p) => p.ip === left);
        if (!survivor) throw new Error(`no Ready pod has the endpoint's IP ${left}`);
        const after = await hostnamesSeen('http://echo', 10);
        expect([...after.keys()]).toEqual([survivor.name]);
        await kubectl('scale', 'deployment', 'echo', '--replicas=3');
      },
      180_000,
    );

    whole(
      'a headless Service resolves to the Ready pod IPs; an ExternalName one to its CNAME',
      async () => {
        await apply(`
apiVersion: v1
kind: Service
metadata: { name: echo-direct }
spec:
  clusterIP: None
  selector: { app: echo }
  ports: [{ port: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: elsewhere }
spec:
  type: ExternalName
  externalName: db.example.test
`);
        expect(await jsonpath(['get', 'svc', 'echo-direct'], '{.spec.clusterIP}')).toBe('None');
        await waitFor('DNS listing every Ready echo pod', async () => {
          const want = (await readyPods('app=echo')).map((p) => p.ip).sort();
          const r = await node.kubectl([
            'exec',
            'client',
            '--',
            'nslookup',
            'echo-direct.default.svc.cluster.local',
          ]);
          const got = [...r.stdout.matchAll(/Address: (10\.\d+\.\d+\.\d+)/g)]
            .map((m) => m[1])
            .sort();
          return want.length === 3 && JSON.stringify(got) === JSON.stringify(want)
            ? true
            : undefined;
        });
        const dnsIp = await jsonpath(
          ['get', 'svc', '-n', 'kube-system', 'kube-dns'],
          '{.spec.clusterIP}',
        );
        const cname = await waitFor('a CNAME for the ExternalName Service', async () => {
          const r = await node.exec('busybox', [
            'nslookup',
            '-type=CNAME',
            'elsewhere.default.svc.cluster.local',
            dnsIp,
          ]);
          return /canonical name = db\.example\.test/.test(r.stdout) ? r.stdout : undefined;
        });
        expect(cname).toMatch(
          /elsewhere\.default\.svc\.cluster\.local\s+canonical name = db\.example\.test/,
        );
      },
      120_000,
    );

    it('the seed client-pod and client-node-port: nodePort 31515 reaches targetPort 3000 from the node', async () => {
      await apply(seed('client-pod.yaml'));
      await apply(seed('client-node-port.yaml'));
      const svc = await kubectl('get', 'svc', 'client-node-port');
      const [header, row] = svc.trim().split('\n');
      expect(header?.split(/\s+/)).toEqual([
        'NAME',
        'TYPE',
        'CLUSTER-IP',
        'EXTERNAL-IP',
        'PORT(S)',
        'AGE',
      ]);
      expect(row?.split(/\s+/).slice(0, 5)).toEqual([
        'client-node-port',
        'NodePort',
        await jsonpath(['get', 'svc', 'client-node-port'], '{.spec.clusterIP}'),
        '<none>',
        '3050:31515/TCP',
      ]);
      await waitFor('client-pod Ready', async () =>
        (await readyPods('component=web')).length === 1 ? true : undefined,
      );
      const page = await waitFor(`an answer on ${nodeAddress}:31515`, () =>
        fromNode(`http://${nodeAddress}:31515/`),
      );
      expect(page).toContain('Fib Calculator');
      const clusterIp = await jsonpath(['get', 'svc', 'client-node-port'], '{.spec.clusterIP}');
      expect(
        await waitFor('an answer on the ClusterIP from the node', () =>
          fromNode(`http://${clusterIp}:3050/`),
        ),
      ).toContain('Fib Calculator');
    }, 180_000);

    whole(
      'the seed helloindia LoadBalancer gets an EXTERNAL-IP that answers from the node',
      async () => {
        await apply(echoDeployment('helloindia', 'helloindia', 2));
        await apply(seed('helloindia-service.yaml'));
        const external = await waitFor('an EXTERNAL-IP for helloindia', async () => {
          const ip = await jsonpath(
            ['get', 'svc', 'helloindia'],
            '{.status.loadBalancer.ingress[0].ip}',
          );
          return ip || undefined;
        });
        expect(external).toMatch(/^127\.0\.1\./);
        const row = (await kubectl('get', 'svc', 'helloindia')).trim().split('\n')[1]?.split(/\s+/);
        expect(row?.slice(1, 4)).toEqual([
          'LoadBalancer',
          await jsonpath(['get', 'svc', 'helloindia'], '{.spec.clusterIP}'),
          external,
        ]);
        expect(row?.[4]).toMatch(/^80:3\d{4}\/TCP$/);
        const pods = (
          await waitFor('2 helloindia replicas Ready', async () => {
            const p = await readyPods('app=helloindia');
            return p.length === 2 ? p : undefined;
          })
        ).map((p) => p.name);
        const answer = await waitFor(`an answer on ${external}:80`, () =>
          fromNode(`http://${external}/`),
        );
        expect(pods).toContain(answer.trim());
      },
      180_000,
    );

    whole(
      'the seed ingress (extensions/v1beta1) and its networking.k8s.io/v1 twin route /service1..3 to their Services',
      async () => {
        for (const n of [1, 2, 3]) {
          await apply(echoDeployment(`service${n}`, `service${n}`, 1));
          await apply(`
apiVersion: v1
kind: Service
metadata: { name: service${n} }
spec:
  selector: { app: service${n} }
  ports: [{ port: 80, targetPort: http }]
`);
        }
        await apply(seed('ingress-extensions-v1beta1.yaml'));
        await apply(`
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ingress-v1
  annotations: { nginx.ingress.kubernetes.io/rewrite-target: / }
spec:
  rules:
    - host: v1.example.test
      http:
        paths:
${[1, 2, 3]
  .map(
    (n) => `          - path: /service${n}
            pathType: Prefix
            backend: { service: { name: service${n}, port: { number: 80 } } }`,
  )
  .join('\n')}
`);
        for (const n of [1, 2, 3]) {
          await waitFor(`service${n} Ready`, async () =>
            (await readyPods(`app=service${n}`)).length === 1 ? true : undefined,
          );
        }
        const get = async (path: string, host?: string) => {
          const header = host ? ['--header', `Host: ${host}`] : [];
          const r = await node.exec(
            'busybox',
            [
              'timeout',
              '5',
              'busybox',
              'wget',
              '-q',
              '-O',
              '-',
              ...header,
              `http://${nodeAddress}:30080${path}`,
            ],
            10_000,
          );
          return r.code === 0 ? r.stdout.trim() : undefined;
        };
        for (const n of [1, 2, 3]) {
          const [pod] = await readyPods(`app=service${n}`);
          expect(await waitFor(`/service${n} through the ingress`, () => get(`/service${n}`))).toBe(
            pod?.name,
          );
          expect(
            await waitFor(`/service${n} on v1.example.test`, () =>
              get(`/service${n}`, 'v1.example.test'),
            ),
          ).toBe(pod?.name);
        }
        // A path no rule names gets the ingress's own 404, not some backend.
        expect(await get('/service4')).toBeUndefined();
      },
      180_000,
    );

    whole(
      'a Service with no ready endpoint refuses connections at once',
      async () => {
        await kubectl('scale', 'deployment', 'echo', '--replicas=0');
        await waitFor('no echo endpoint', async () =>
          (await endpointIps('echo')).length === 0 ? true : undefined,
        );
        const clusterIp = await jsonpath(['get', 'svc', 'echo'], '{.spec.clusterIP}');
        const refused = await waitFor('a refusal from the empty Service', async () => {
          const r = await node.exec('busybox', [
            'timeout',
            '5',
            'busybox',
            'wget',
            '-q',
            '-O',
            '-',
            `http://${clusterIp}/`,
          ]);
          return /Connection refused/.test(r.stderr) ? r.stderr : undefined;
        });
        expect(refused).toContain('Connection refused');
      },
      120_000,
    );

    whole(
      'deleting the Services takes their forwarding away',
      async () => {
        const clusterIp = await jsonpath(['get', 'svc', 'client-node-port'], '{.spec.clusterIP}');
        await kubectl('delete', 'svc', 'client-node-port', 'helloindia', 'echo');
        await waitFor('the NodePort closed', async () =>
          (await fromNode(`http://${nodeAddress}:31515/`)) === undefined ? true : undefined,
        );
        const rules = await node.exec('iptables-save', ['-t', 'nat']);
        expect(rules.code).toBe(0);
        expect(rules.stdout).not.toContain(clusterIp);
        expect(rules.stdout).not.toContain('31515');
      },
      120_000,
    );
  });
}
