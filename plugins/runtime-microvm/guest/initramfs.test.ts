import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initScript } from './init-script.ts';
import {
  buildAgent,
  buildInitramfs,
  defaultKernel,
  kernelCommandLine,
  kernelVersionOf,
  moduleLoadOrder,
} from './initramfs.ts';

// A slice of a real modules.dep (Debian's 6.1 cloud kernel), in its own order.
const modulesDep = `kernel/fs/fuse/fuse.ko:
kernel/fs/fuse/virtiofs.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko kernel/fs/fuse/fuse.ko
kernel/fs/overlayfs/overlay.ko:
kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_mmio.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/char/virtio_console.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
kernel/net/core/failover.ko:
kernel/drivers/block/virtio-blk.ko.xz: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
`;

describe('moduleLoadOrder', () => {
  it.each([
    ['a module without dependencies', ['overlay'], ['kernel/fs/overlayfs/overlay.ko']],
    [
      'dependencies first, each once',
      ['virtio_mmio', 'virtio_console'],
      [
        'kernel/drivers/virtio/virtio_ring.ko',
        'kernel/drivers/virtio/virtio.ko',
        'kernel/drivers/virtio/virtio_mmio.ko',
        'kernel/drivers/char/virtio_console.ko',
      ],
    ],
    [
      'dependencies of dependencies before them',
      ['virtio_net'],
      [
        'kernel/net/core/failover.ko',
        'kernel/drivers/net/net_failover.ko',
        'kernel/drivers/virtio/virtio_ring.ko',
        'kernel/drivers/virtio/virtio.ko',
        'kernel/drivers/net/virtio_net.ko',
      ],
    ],
    [
      'a compressed module named with - or _',
      ['virtio_blk'],
      [
        'kernel/drivers/virtio/virtio_ring.ko',
        'kernel/drivers/virtio/virtio.ko',
        'kernel/drivers/block/virtio-blk.ko.xz',
      ],
    ],
  ])('orders %s', (_, wanted, expected) => {
    expect(moduleLoadOrder(modulesDep, wanted)).toEqual(expected);
  });

  it('names a module the kernel lacks', () => {
    expect(() => moduleLoadOrder(modulesDep, ['9p'])).toThrow(
      /kernel module 9p is not in modules.dep/,
    );
  });

  it('refuses a dependency cycle', () => {
    expect(() => moduleLoadOrder('a.ko: b.ko\nb.ko: a.ko\n', ['a'])).toThrow(/cycle/);
  });
});

describe('kernelCommandLine', () => {
  it.each([
    [{}, 'console=ttyS0 tsc_early_khz=2600000 cryptomgr.notests panic=-1 quiet'],
    [
      { hostname: 'pod-a', ip: '10.90.0.5/18', gateway: '10.90.0.1' },
      'console=ttyS0 tsc_early_khz=2600000 cryptomgr.notests panic=-1 quiet skiff.hostname=pod-a skiff.ip=10.90.0.5/18 skiff.gw=10.90.0.1',
    ],
    [
      { shareTag: 'fs0', portName: 'org.skiff.agent', verbose: true },
      'console=ttyS0 tsc_early_khz=2600000 cryptomgr.notests panic=-1 skiff.share=fs0 skiff.port=org.skiff.agent',
    ],
  ])('writes %j', (opts, expected) => {
    expect(kernelCommandLine(opts)).toBe(expected);
  });

  it.each([[{ hostname: 'a b' }], [{ ip: '10.0.0.1/8 init=/bin/sh' }], [{ shareTag: '' }]])(
    'refuses %j',
    (opts) => {
      expect(() => kernelCommandLine(opts)).toThrow(/cannot carry/);
    },
  );
});

describe('defaultKernel', () => {
  it('picks the newest cloud kernel by version, not by text', () => {
    const boot = mkdtempSync(join(tmpdir(), 'skiff-boot-test-'));
    try {
      for (const v of ['6.1.0-9-cloud-amd64', '6.1.0-56-cloud-amd64', '6.12.0-1-amd64']) {
        writeFileSync(join(boot, `vmlinuz-${v}`), '');
      }
      mkdirSync(join(boot, 'grub'));
      expect(defaultKernel(boot)).toBe(join(boot, 'vmlinuz-6.1.0-56-cloud-amd64'));
      expect(kernelVersionOf(defaultKernel(boot))).toBe('6.1.0-56-cloud-amd64');
    } finally {
      rmSync(boot, { recursive: true, force: true });
    }
  });

  it('names the package when there is no cloud kernel', () => {
    expect(() => defaultKernel('/nonexistent-boot')).toThrow(/linux-image-cloud-amd64/);
  });
});

describe('initScript', () => {
  it('loads the modules in the given order before anything needs them', () => {
    const script = initScript(['kernel/a.ko', 'kernel/b.ko']);
    const load = script.indexOf(
      '/sbin/skiff-agent --load-modules /lib/modules/kernel/a.ko /lib/modules/kernel/b.ko',
    );
    expect(load).toBeGreaterThan(script.indexOf('mount -t devtmpfs'));
    expect(script.indexOf('mount -t virtiofs')).toBeGreaterThan(load);
    expect(script.trimEnd().endsWith('exec switch_root /newroot /sbin/skiff-agent')).toBe(true);
  });
});

describe('buildAgent and buildInitramfs (real gcc, kernel and busybox of this host)', () => {
  it('compiles the agent once for callers that ask together, and caches the initramfs', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'skiff-guest-cache-test-'));
    try {
      const [a, b] = await Promise.all([buildAgent(cache), buildAgent(cache)]);
      expect(a).toBe(b);
      // The agent's module loader names what it could not load and fails.
      const run = spawnSync(a, ['--load-modules', '/nonexistent.ko'], { encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('load module /nonexistent.ko');

      const first = await buildInitramfs({ cacheDir: cache });
      const built = statSync(first.initrd).mtimeMs;
      const again = await buildInitramfs({ cacheDir: cache });
      expect(again).toEqual(first);
      expect(statSync(again.initrd).mtimeMs).toBe(built);
      expect(first.initrd).toContain(first.kernelVersion);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('names a kernel that does not exist', async () => {
    await expect(
      buildInitramfs({ cacheDir: '/nonexistent-cache', kernel: '/boot/vmlinuz-0.0-none' }),
    ).rejects.toThrow(/guest kernel \/boot\/vmlinuz-0.0-none does not exist/);
  });
});
