import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SkiffError } from '../../sdk/errors.ts';
import type { StreamingRuntime } from '../../sdk/runtime/streaming.ts';
import { anyMessage, processTypeUrl } from './client.ts';
import { runningRecord } from './containers.ts';
import { ioDir, newId, type RuntimeContext } from './context.ts';
import { type OciProcess, processSpec } from './spec.ts';
import { makeFifos, openPipe, removeFifos } from './task-io.ts';

const run = promisify(execFile);

/**
 * containerdStreams serves streaming Exec through task exec: the session's streams are
 * joined to the exec'd process's FIFOs. Attach and port forwarding are not offered.
 */
export function containerdStreams(ctx: RuntimeContext): StreamingRuntime {
  return {
    async exec(target, io) {
      const record = await runningRecord(ctx, target.containerId);
      const base = JSON.parse(record.spec?.value.toString('utf8') ?? '{}') as {
        process?: OciProcess;
      };
      const proc = processSpec(
        target.cmd,
        base.process?.env ?? [],
        base.process?.cwd ?? '/',
        base.process?.user,
      );
      proc.terminal = target.tty;
      const execId = `exec-${newId().slice(0, 12)}`;
      const dir = ioDir(ctx, record.id, execId);
      const fifos = await makeFifos(dir);
      const stdinPath = join(dir, 'stdin');
      if (target.stdin) await run('mkfifo', ['-m', '0600', stdinPath]);
      const out = openPipe(fifos.stdout);
      const err = target.tty ? undefined : openPipe(fifos.stderr);
      const input = target.stdin ? openPipe(stdinPath, true) : undefined;
      if (io.stdout) out.pipe(io.stdout, { end: false });
      else out.resume();
      if (err && io.stderr) err.pipe(io.stderr, { end: false });
      else err?.resume();
      if (input && io.stdin) io.stdin.pipe(input);
      io.onResize((size) => {
        ctx.client
          .call('tasks', 'ResizePty', {
            containerId: record.id,
            execId,
            width: size.width,
            height: size.height,
          })
          .catch(() => {});
      });
      try {
        await ctx.client.call('tasks', 'Exec', {
          containerId: record.id,
          execId,
          stdin: target.stdin ? stdinPath : '',
          stdout: fifos.stdout,
          stderr: target.tty ? '' : fifos.stderr,
          terminal: target.tty,
          spec: anyMessage(processTypeUrl, proc),
        });
        const waiting = ctx.client.call<{ exitStatus: number }>(
          'tasks',
          'Wait',
          { containerId: record.id, execId },
          { timeoutMs: 2 ** 31 - 1 },
        );
        waiting.catch(() => {});
        await ctx.client.call('tasks', 'Start', { containerId: record.id, execId });
        io.signal.addEventListener('abort', () => {
          ctx.client
            .call('tasks', 'Kill', { containerId: record.id, execId, signal: 9 })
            .catch(() => {});
        });
        const { exitStatus } = await waiting;
        // What the process wrote last is still in the pipes; let it through before closing.
        await new Promise((r) => setTimeout(r, 50));
        return { exitCode: exitStatus };
      } finally {
        for (const p of [out, err, input]) p?.destroy();
        await ctx.client
          .call('tasks', 'DeleteProcess', { containerId: record.id, execId })
          .catch(() => {});
        removeFifos(dir);
      }
    },
    attach() {
      return Promise.reject(new SkiffError('Unimplemented', 'runtime-containerd does not attach'));
    },
    portForward() {
      return Promise.reject(
        new SkiffError('Unimplemented', 'runtime-containerd does not forward ports'),
      );
    },
  };
}
