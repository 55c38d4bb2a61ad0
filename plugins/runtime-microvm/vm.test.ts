import { describe, expect, it } from 'vitest';
import { qemuArgs, vmPaths, vmSize } from './vm.ts';

const host = { cpus: 2, memoryMiB: 24_000 };

describe('vmSize', () => {
  it.each([
    { name: 'no limits: the floor', limits: [], want: { cpus: 1, memoryMiB: 128 } },
    {
      name: 'half a CPU and 32 MiB: floor for both',
      limits: [{ cpuQuota: '50000', cpuPeriod: '100000', memoryLimitInBytes: String(32 << 20) }],
      want: { cpus: 1, memoryMiB: 128 },
    },
    {
      name: 'containers summed, CPUs rounded up, memory plus overhead',
      limits: [
        { cpuQuota: 150_000, cpuPeriod: 100_000, memoryLimitInBytes: 256 << 20 },
        { cpuQuota: 20_000, cpuPeriod: 100_000, memoryLimitInBytes: 128 << 20 },
      ],
      want: { cpus: 2, memoryMiB: 384 + 64 },
    },
    {
      name: 'never more than the host',
      limits: [{ cpuQuota: 800_000, cpuPeriod: 100_000, memoryLimitInBytes: 2 ** 40 }],
      want: host,
    },
    {
      name: 'a quota without a period uses the default 100 ms',
      limits: [{ cpuQuota: 200_000 }],
      want: { cpus: 2, memoryMiB: 128 },
    },
  ])('$name', ({ limits, want }) => {
    expect(vmSize(limits, host)).toEqual(want);
  });
});

describe('qemuArgs', () => {
  const paths = vmPaths('/r/vms/abc');
  const spec = {
    size: { cpus: 2, memoryMiB: 256 },
    kernel: '/k',
    initrd: '/i',
    cmdline: 'console=ttyS0 skiff.ip=10.90.0.2/18',
  };
  const value = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

  it('uses the host CPU under KVM and the emulated maximum under TCG', () => {
    expect(value(qemuArgs({ ...spec, accel: 'kvm' }, paths), '-cpu')).toBe('host');
    expect(value(qemuArgs({ ...spec, accel: 'tcg' }, paths), '-cpu')).toBe('max');
    expect(value(qemuArgs({ ...spec, accel: 'tcg' }, paths), '-accel')).toBe('tcg,tb-size=64');
    expect(value(qemuArgs({ ...spec, accel: 'kvm' }, paths), '-accel')).toBe('kvm');
  });

  it('sizes the VM, shares its memory for virtiofs and keeps ACPI on', () => {
    const args = qemuArgs({ ...spec, accel: 'tcg' }, paths);
    expect(value(args, '-smp')).toBe('2');
    expect(value(args, '-m')).toBe('256M');
    expect(value(args, '-M')).toBe('microvm,acpi=on');
    expect(args).toContain('memory-backend-memfd,id=mem,size=256M,share=on');
    expect(args).toContain('virtio-mmio.force-legacy=false');
    expect(value(args, '-append')).toBe('console=ttyS0 skiff.ip=10.90.0.2/18');
    expect(args).not.toContain('-netdev');
  });

  it('adds a tap network card when the VM has one', () => {
    const args = qemuArgs(
      { ...spec, accel: 'tcg', tap: { name: 'skt1', mac: '02:00:00:00:00:01' } },
      paths,
    );
    expect(value(args, '-netdev')).toBe('tap,id=net0,ifname=skt1,script=no,downscript=no');
    expect(args).toContain('virtio-net-device,netdev=net0,mac=02:00:00:00:00:01');
  });
});
