import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProtobuf } from '../../core/server/protobuf.ts';
import { type SkiffServer, startSkiffServer } from './kubectl-harness.ts';

// The real kubectl 1.32's typed create commands send protobuf; each one here must be stored
// by `skiff server` with the fields the command set, as `kubectl get` then shows them.

let server: SkiffServer;

beforeAll(async () => {
  server = await startSkiffServer();
});

afterAll(async () => {
  await server?.daemon.stop();
});

const k = (...args: string[]) => server.kubectl(args);
const jsonpath = async (resource: string, path: string) => {
  const r = await k('get', resource, '-o', `jsonpath=${path}`);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
};

// Every command, then what `kubectl get -o jsonpath` must print for the object it made.
const cases: { create: string[]; resource: string; checks: [path: string, want: string][] }[] = [
  {
    create: ['deployment', 'web', '--image=nginx:1.7.9', '--replicas=3', '--port=80'],
    resource: 'deployment/web',
    checks: [
      ['{.spec.replicas}', '3'],
      ['{.spec.template.spec.containers[0].image}', 'nginx:1.7.9'],
      ['{.spec.template.spec.containers[0].ports[0].containerPort}', '80'],
      ['{.spec.selector.matchLabels.app}', 'web'],
    ],
  },
  {
    create: ['service', 'clusterip', 'web', '--tcp=80:8080'],
    resource: 'service/web',
    checks: [
      ['{.spec.type}', 'ClusterIP'],
      ['{.spec.ports[0].port}', '80'],
      ['{.spec.ports[0].targetPort}', '8080'],
      ['{.spec.selector.app}', 'web'],
    ],
  },
  {
    create: ['service', 'nodeport', 'np', '--tcp=80:80', '--node-port=30080'],
    resource: 'service/np',
    checks: [
      ['{.spec.type}', 'NodePort'],
      ['{.spec.ports[0].nodePort}', '30080'],
    ],
  },
  {
    create: ['job', 'once', '--image=busybox', '--', 'sleep', '5'],
    resource: 'job/once',
    checks: [
      ['{.spec.template.spec.containers[0].image}', 'busybox'],
      ['{.spec.template.spec.containers[0].command}', '["sleep","5"]'],
      ['{.spec.template.spec.restartPolicy}', 'Never'],
    ],
  },
  {
    create: ['cronjob', 'tick', '--image=busybox', '--schedule=*/5 * * * *', '--', 'echo', 'hi'],
    resource: 'cronjob/tick',
    checks: [
      ['{.spec.schedule}', '*/5 * * * *'],
      ['{.spec.jobTemplate.spec.template.spec.containers[0].image}', 'busybox'],
    ],
  },
  {
    // The pod template comes back from the server defaulted, security context and all.
    create: ['job', 'from-tick', '--from=cronjob/tick'],
    resource: 'job/from-tick',
    checks: [
      ['{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}', 'CronJob/tick'],
      ['{.spec.template.spec.containers[0].command}', '["echo","hi"]'],
    ],
  },
  {
    create: ['role', 'reader', '--verb=get,list', '--resource=pods'],
    resource: 'role/reader',
    checks: [
      ['{.rules[0].verbs}', '["get","list"]'],
      ['{.rules[0].resources}', '["pods"]'],
    ],
  },
  {
    create: ['clusterrole', 'node-reader', '--verb=get', '--resource=nodes'],
    resource: 'clusterrole/node-reader',
    checks: [['{.rules[0].resources}', '["nodes"]']],
  },
  {
    create: ['rolebinding', 'read-pods', '--role=reader', '--user=alice'],
    resource: 'rolebinding/read-pods',
    checks: [
      ['{.roleRef.kind}/{.roleRef.name}', 'Role/reader'],
      ['{.subjects[0].kind}/{.subjects[0].name}', 'User/alice'],
    ],
  },
  {
    create: ['clusterrolebinding', 'read-nodes', '--clusterrole=node-reader', '--group=devs'],
    resource: 'clusterrolebinding/read-nodes',
    checks: [
      ['{.roleRef.kind}/{.roleRef.name}', 'ClusterRole/node-reader'],
      ['{.subjects[0].kind}/{.subjects[0].name}', 'Group/devs'],
    ],
  },
  {
    create: ['quota', 'small', '--hard=cpu=1,memory=1Gi,pods=10'],
    resource: 'resourcequota/small',
    checks: [['{.spec.hard.cpu} {.spec.hard.memory} {.spec.hard.pods}', '1 1Gi 10']],
  },
  {
    create: ['priorityclass', 'high', '--value=1000', '--description=important'],
    resource: 'priorityclass/high',
    checks: [['{.value} {.description}', '1000 important']],
  },
  {
    create: ['poddisruptionbudget', 'web', '--selector=app=web', '--min-available=50%'],
    resource: 'poddisruptionbudget/web',
    checks: [
      ['{.spec.minAvailable}', '50%'],
      ['{.spec.selector.matchLabels.app}', 'web'],
    ],
  },
  {
    create: ['ingress', 'site', '--class=nginx', '--rule=foo.example.com/bar*=web:8080'],
    resource: 'ingress/site',
    checks: [
      ['{.spec.ingressClassName}', 'nginx'],
      ['{.spec.rules[0].host}', 'foo.example.com'],
      ['{.spec.rules[0].http.paths[0].path}', '/bar'],
      ['{.spec.rules[0].http.paths[0].pathType}', 'Prefix'],
      ['{.spec.rules[0].http.paths[0].backend.service.port.number}', '8080'],
    ],
  },
];

describe('kubectl create (protobuf bodies) against skiff server', () => {
  it.each(cases)('create $create.0 $resource stores the fields it set', async (c) => {
    const r = await k('create', ...c.create);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ created\n$/);
    for (const [path, want] of c.checks) expect(await jsonpath(c.resource, path)).toBe(want);
  });

  it('autoscale (a protobuf HorizontalPodAutoscaler) stores its bounds and CPU target', async () => {
    const r = await k('autoscale', 'deployment', 'web', '--min=1', '--max=3', '--cpu-percent=50');
    expect(r.code, r.stderr).toBe(0);
    expect(await jsonpath('hpa/web', '{.spec.minReplicas} {.spec.maxReplicas}')).toBe('1 3');
    expect(
      await jsonpath('hpa/web', '{.spec.scaleTargetRef.kind}/{.spec.scaleTargetRef.name}'),
    ).toBe('Deployment/web');
    // The server keeps the v2 form, where the CPU target is a resource metric.
    expect(
      await jsonpath(
        'hpa.v2.autoscaling/web',
        '{.spec.metrics[0].resource.target.averageUtilization}',
      ),
    ).toBe('50');
  });

  it('the bodies in the unit test fixtures are what this kubectl sends', async () => {
    // -v=10 logs the request body as a hex dump; its decoding must match the captured one's.
    const r = await k(
      '-v=10',
      'create',
      'deployment',
      'web',
      '--image=nginx:1.7.9',
      '--replicas=3',
      '--port=80',
      '--dry-run=server',
      '--namespace=kube-system',
    );
    expect(r.code, r.stderr).toBe(0);
    const dump = r.stderr.split('"Request Body" body=<\n')[1] ?? '';
    const hex = [...dump.matchAll(/^\t[0-9a-f]{8} {2}(.*?) {2}\|/gm)]
      .map((m) => (m[1] ?? '').replaceAll(' ', ''))
      .join('');
    expect(hex.length, 'kubectl -v=10 logged no request body').toBeGreaterThan(0);
    const fixture = readFileSync(
      join(import.meta.dirname, '../../core/server/testdata/kubectl-create-bodies.txt'),
      'utf8',
    ).match(/^deployment ([0-9a-f]+)$/m)?.[1];
    expect(fixture, 'no deployment body in the fixtures').toBeDefined();
    // The namespace flag (kept apart from the deployment made above) is the one difference.
    const live = decodeProtobuf(Buffer.from(hex, 'hex'));
    expect((live.metadata as { namespace?: string }).namespace).toBe('kube-system');
    delete (live.metadata as { namespace?: string }).namespace;
    expect(live).toEqual(decodeProtobuf(Buffer.from(fixture as string, 'hex')));
  });
});
