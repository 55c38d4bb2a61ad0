import { describe, expect, it } from 'vitest';
import { containerSpec, runcOptions, sandboxSpec } from './spec.ts';

const paths = {
  netns: '/var/run/netns/skiff-x',
  hostname: 'pod-host',
  resolvConf: '/data/pods/x/resolv.conf',
  hostnameFile: '/data/pods/x/hostname',
};
const image = {
  config: {
    Entrypoint: ['/entry'],
    Cmd: ['default-arg'],
    Env: ['PATH=/bin', 'A=image'],
    WorkingDir: '/w',
  },
};

// biome-ignore lint/suspicious/noExplicitAny: a partial CRI config is enough for the builder
const config = (over: Record<string, unknown>): any => ({
  metadata: { name: 'c', attempt: 0 },
  image: { image: 'x' },
  command: [],
  args: [],
  envs: [],
  mounts: [],
  workingDir: '',
  labels: {},
  annotations: {},
  ...over,
});

describe('containerSpec', () => {
  it.each([
    { name: 'image entrypoint and cmd', over: {}, args: ['/entry', 'default-arg'] },
    { name: 'args replace cmd', over: { args: ['a1'] }, args: ['/entry', 'a1'] },
    { name: 'command replaces both', over: { command: ['sh'] }, args: ['sh'] },
    {
      name: 'command and args',
      over: { command: ['sh'], args: ['-c', 'x'] },
      args: ['sh', '-c', 'x'],
    },
  ])('resolves the command line: $name', ({ over, args }) => {
    expect(containerSpec('id', 'sb', 42, config(over), image, paths).process.args).toEqual(args);
  });

  it('puts request env over image env, keeps the image working dir, never lowers the oom score', () => {
    const spec = containerSpec(
      'id',
      'sb',
      42,
      config({ envs: [{ key: 'A', value: 'req' }] }),
      image,
      paths,
    );
    expect(spec.process.env).toEqual(['PATH=/bin', 'A=req']);
    expect(spec.process.cwd).toBe('/w');
    expect(spec.process.oomScoreAdj).toBe(0);
  });

  it("joins the pod's network, IPC and UTS namespaces through the infra process", () => {
    const spec = containerSpec('id', 'sb', 42, config({}), image, paths);
    expect(spec.linux.namespaces).toEqual(
      expect.arrayContaining([
        { type: 'network', path: '/proc/42/ns/net' },
        { type: 'ipc', path: '/proc/42/ns/ipc' },
        { type: 'uts', path: '/proc/42/ns/uts' },
        { type: 'pid' },
        { type: 'mount' },
      ]),
    );
    expect(spec.hostname).toBe('pod-host');
  });

  it('sets CPU and memory limits and bind mounts, read-only when asked', () => {
    const spec = containerSpec(
      'id',
      'sb',
      42,
      config({
        linux: {
          resources: {
            memoryLimitInBytes: '67108864',
            cpuQuota: '50000',
            cpuPeriod: '100000',
            cpuShares: '512',
          },
        },
        mounts: [{ containerPath: '/ro', hostPath: '/host/ro', readonly: true }],
      }),
      image,
      paths,
    );
    expect(spec.linux.resources).toMatchObject({
      memory: { limit: 67108864 },
      cpu: { quota: 50000, period: 100000, shares: 512 },
    });
    expect(spec.mounts).toContainEqual({
      destination: '/ro',
      type: 'bind',
      source: '/host/ro',
      options: ['rbind', 'ro'],
    });
  });
});

describe('sandboxSpec', () => {
  it('owns fresh namespaces except the network one CNI wired', () => {
    const spec = sandboxSpec('sb', { config: { Entrypoint: ['/pause'] } }, paths);
    expect(spec.process.args).toEqual(['/pause']);
    expect(spec.linux.namespaces).toContainEqual({ type: 'network', path: paths.netns });
    expect(spec.mounts.map((m) => m.destination)).toEqual(
      expect.arrayContaining(['/etc/resolv.conf', '/etc/hostname']),
    );
  });
});

describe('runcOptions', () => {
  it.each([
    { root: '/r', hex: '3a022f72' },
    { root: 'x'.repeat(200), hex: `3ac801${'78'.repeat(200)}` },
  ])('encodes root as field 7 ($root.length bytes)', ({ root, hex }) => {
    const any = runcOptions(root);
    expect(any.type_url).toBe('containerd.runc.v1.Options');
    expect(any.value.toString('hex')).toBe(hex);
  });
});
