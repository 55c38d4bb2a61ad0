import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultKernel } from './guest/initramfs.ts';
import { isRunning, type ProcessRecord, strayProcesses } from './processes.ts';
import { QmpConnection } from './qmp.ts';
import { launchVm, probeAccelerator, stopVm, vmPaths } from './vm.ts';

// The host's cloud kernel and its Debian initramfs: enough to boot to a shell.
const kernel = defaultKernel();
const initrd = kernel.replace('vmlinuz-', 'initrd.img-');
const root = mkdtempSync(join(tmpdir(), 'skiff-microvm-vm-'));
const launched: ProcessRecord[][] = [];

afterAll(async () => {
  for (const p of launched.flat()) if (isRunning(p)) process.kill(p.pid, 'SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

describe('micro-VM launch (qemu microvm + virtiofsd)', () => {
  it('probes the accelerator once and says why', async () => {
    const probe = await probeAccelerator();
    expect(['kvm', 'tcg']).toContain(probe.accel);
    expect(probe.reason).not.toBe('');
    expect(await probeAccelerator()).toBe(probe);
  });

  it('boots a kernel to its initramfs, answers QMP, and leaves no process after stop', async () => {
    for (const f of [kernel, initrd]) {
      expect(existsSync(f), `${f} is missing: install linux-image-cloud-amd64`).toBe(true);
    }
    const { accel } = await probeAccelerator();
    const paths = vmPaths(join(root, 'vm1'));
    const vm = await launchVm(
      {
        accel,
        size: { cpus: 1, memoryMiB: 256 },
        kernel,
        initrd,
        // The host's initramfs has a shell; running it as init shows the boot reached userland.
        cmdline: 'console=ttyS0 tsc_early_khz=2600000 quiet panic=-1 rdinit=/bin/sh',
      },
      paths,
    );
    launched.push(vm.processes);
    expect(vm.processes.map((p) => p.role).sort()).toEqual(['qemu', 'virtiofsd']);
    expect(vm.processes.every(isRunning)).toBe(true);
    expect(JSON.parse(readFileSync(paths.processes, 'utf8'))).toEqual(vm.processes);
    expect(
      strayProcesses(root)
        .map((p) => p.pid)
        .sort(),
    ).toEqual(vm.processes.map((p) => p.pid).sort());

    const qmp = await QmpConnection.connect(paths.qmp);
    expect(await qmp.execute('query-status')).toMatchObject({ status: 'running' });
    qmp.close();
    for (let i = 0; i < 300 && !readFileSync(paths.console, 'utf8').includes('BusyBox'); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(readFileSync(paths.console, 'utf8')).toContain('BusyBox');

    // A shell as init ignores the power button: stop falls back to quit after the grace.
    await stopVm(vm.processes, paths, 500);
    expect(vm.processes.some(isRunning)).toBe(false);
    await vm.exited;
    expect(strayProcesses(root)).toEqual([]);
    await stopVm(vm.processes, paths, 500);
  });

  it('fails with the cause named when qemu cannot start, leaving nothing running', async () => {
    const { accel } = await probeAccelerator();
    const spec = {
      accel,
      size: { cpus: 1, memoryMiB: 128 },
      kernel,
      initrd,
      cmdline: 'console=ttyS0',
    };
    await expect(
      launchVm({ ...spec, kernel: '/no/such/kernel' }, vmPaths(join(root, 'vm2'))),
    ).rejects.toThrow('the guest kernel /no/such/kernel does not exist');
    // A file qemu cannot load as a kernel: qemu fails after making its sockets.
    await expect(launchVm({ ...spec, kernel: initrd }, vmPaths(join(root, 'vm3')))).rejects.toThrow(
      /qemu.*qemu\.log/,
    );
    expect(strayProcesses(root)).toEqual([]);
  });
});
