import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Daemon, startDaemon } from '../harness/daemon.ts';

/** kubectlPath is the real kubectl the end-to-end suite drives. */
export const kubectlPath = '/usr/bin/kubectl';

const root = join(import.meta.dirname, '..', '..');

/** KubectlResult is one kubectl run: exit code and output. */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** SkiffServer is a running `skiff server` process and a kubectl bound to it. */
export interface SkiffServer {
  daemon: Daemon;
  kubeconfig: string;
  kubectl(
    args: string[],
    opts?: { input?: string; env?: Record<string, string> },
  ): Promise<KubectlResult>;
  /** watch starts a long-running kubectl (`get -w`); the caller kills it. */
  watch(args: string[]): ChildProcess;
}

/** startSkiffServer starts `node core/cli/skiff.mjs server` on a free port in its own data dir. */
export async function startSkiffServer(): Promise<SkiffServer> {
  if (!existsSync(kubectlPath))
    throw new Error(
      `the end-to-end suite needs the real kubectl at ${kubectlPath}, which is missing`,
    );
  const daemon = await startDaemon({
    name: 'skiff-server',
    command: process.execPath,
    args: (dir) => [
      join(root, 'core/cli/skiff.mjs'),
      'server',
      '--data-dir',
      join(dir, 'data'),
      '--port',
      '0',
    ],
    ready: async (dir) => existsSync(join(dir, 'data', 'admin.kubeconfig')),
    readyTimeoutMs: 60_000,
  });
  const kubeconfig = join(daemon.dir, 'data', 'admin.kubeconfig');
  const cache = join(daemon.dir, 'kube-cache');
  const env = (extra: Record<string, string> = {}) => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: daemon.dir,
    KUBECONFIG: kubeconfig,
    ...extra,
  });
  return {
    daemon,
    kubeconfig,
    kubectl: (args, opts = {}) =>
      new Promise((resolve) => {
        const child = execFile(
          kubectlPath,
          ['--cache-dir', cache, ...args],
          { env: env(opts.env), timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
          (err, stdout, stderr) => {
            const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
            resolve({ code, stdout, stderr });
          },
        );
        if (opts.input !== undefined) child.stdin?.end(opts.input);
        else child.stdin?.end();
      }),
    watch: (args) => spawn(kubectlPath, ['--cache-dir', cache, ...args], { env: env() }),
  };
}

/** demoPod is the manifest of a one-container pod labelled app=demo, plus extra spec lines. */
export const demoPod = (name: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels:
    app: demo
spec:
  containers:
  - name: main
    image: busybox
${extra}`;
