import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ContainerdRuntime,
  containerdOptions,
} from '../../../plugins/runtime-containerd/adapter.ts';
import { connectRuntime } from '../../../sdk/runtime/client.ts';
import { startNativeContainerd } from '../../harness/containerd-native.ts';
import { startDaemon } from '../../harness/daemon.ts';
import { runtimeConformance } from './suite.ts';

const repoRoot = join(import.meta.dirname, '../../..');

// The containerd adapter runs as its own process (`skiff runtime containerd`) and drives a
// private containerd whose CRI plugin is off, through containerd's own services.
runtimeConformance(
  'runtime-containerd',
  async () => {
    const containerd = await startNativeContainerd();
    const dir = mkdtempSync(join(tmpdir(), 'skiff-containerd-conf-'));
    const suffix = Math.random().toString(36).slice(2, 7);
    const options = {
      socket: containerd.socket,
      namespace: 'skiff-conformance',
      bridge: `skctc${suffix}`,
      subnet: `10.89.${100 + Math.floor(Math.random() * 150)}.0/24`,
    };
    const socket = join(dir, 'runtime.sock');
    const endpoint = `unix://${socket}`;
    const removeBridge = () => {
      try {
        execFileSync('ip', ['link', 'del', options.bridge], { stdio: 'ignore' });
      } catch {
        // never made
      }
    };
    try {
      const adapter = await startDaemon({
        name: 'runtime-containerd',
        command: process.execPath,
        args: () => [
          join(repoRoot, 'core/cli/skiff.mjs'),
          'runtime',
          'containerd',
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
      });
      return {
        endpoint,
        importImage: async (tarPath) => {
          const importer = await ContainerdRuntime.start(
            containerdOptions({ ...options, dataDir: dir }),
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
          await containerd.stop();
          removeBridge();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      await containerd.stop();
      removeBridge();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  },
  { skiffAdapter: true },
);
