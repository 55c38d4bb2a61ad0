import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MicroVmRuntime, microVmOptions } from '../../../plugins/runtime-microvm/adapter.ts';
import { VmNetwork } from '../../../plugins/runtime-microvm/network.ts';
import { killProcesses, strayProcesses } from '../../../plugins/runtime-microvm/processes.ts';
import { connectRuntime } from '../../../sdk/runtime/client.ts';
import { startDaemon } from '../../harness/daemon.ts';
import { runtimeConformance } from './suite.ts';

const repoRoot = join(import.meta.dirname, '../../..');

// The micro-VM adapter runs as its own process (`skiff runtime microvm`); every sandbox is a
// qemu microvm under software emulation here, on a private bridge and subnet for this run.
runtimeConformance(
  'runtime-microvm',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-microvm-conf-'));
    const suffix = Math.random().toString(36).slice(2, 7);
    const options = {
      bridge: `skvmc${suffix}`,
      subnet: `10.90.${64 + Math.floor(Math.random() * 60)}.0/24`,
      vmGraceSeconds: '2',
    };
    const socket = join(dir, 'runtime.sock');
    const endpoint = `unix://${socket}`;
    const cleanUp = async () => {
      // Whatever a crashed adapter left: its VMs, its bridge and NAT rules, its files.
      await killProcesses(strayProcesses(dir));
      await new VmNetwork({ ...microVmOptions(options), leases: join(dir, 'unused') }).remove();
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      const adapter = await startDaemon({
        name: 'runtime-microvm',
        command: process.execPath,
        args: () => [
          join(repoRoot, 'core/cli/skiff.mjs'),
          'runtime',
          'microvm',
          '--listen',
          endpoint,
          '--state-dir',
          dir,
          '--log-level',
          'warn',
          '--grace-seconds',
          '1',
          ...Object.entries(options).flatMap(([k, v]) => ['-o', `${k}=${v}`]),
        ],
        ready: async () => {
          if (!existsSync(socket)) return false;
          const client = connectRuntime(endpoint, { timeoutMs: 2000 });
          try {
            await client.version({});
            return true;
          } finally {
            client.close();
          }
        },
        readyTimeoutMs: 60_000,
        stopTimeoutMs: 30_000,
      });
      return {
        endpoint,
        importImage: async (tarPath) => {
          const importer = await MicroVmRuntime.start(
            microVmOptions({ ...options, stateDir: dir }),
            undefined,
            true,
          );
          try {
            await importer.importImages(tarPath);
          } finally {
            await importer.close();
          }
        },
        teardown: async () => {
          await adapter.stop();
          await cleanUp();
        },
      };
    } catch (err) {
      await cleanUp();
      throw err;
    }
  },
  {
    skiffAdapter: true,
    ruledOut: {
      seccomp:
        'every pod is its own VM: the guest does not filter system calls, the VM boundary stands in for it',
    },
  },
);
