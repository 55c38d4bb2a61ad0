import { SkiffError } from '../../sdk/errors.ts';
import { forwardToAddress, type StreamingRuntime } from '../../sdk/runtime/streaming.ts';
import { runningContainer } from './containers.ts';
import { type RuntimeContext, sandboxOf } from './context.ts';

/**
 * microVmStreams serves streaming Exec through the guest agent's EXEC: stdin, output and
 * terminal size travel as channel frames. Port forwarding dials the VM's address from the host.
 * Attach is not offered.
 */
export function microVmStreams(ctx: RuntimeContext): StreamingRuntime {
  return {
    async exec(target, io) {
      const { c, live } = runningContainer(ctx, target.containerId);
      const proc = live.channel.exec({
        container: c.guestName,
        argv: target.cmd,
        env: c.env,
        cwd: c.cwd,
        stdin: target.stdin,
        tty: target.tty,
      });
      proc.on('stdout', (d) => io.stdout?.write(d));
      proc.on('stderr', (d) => io.stderr?.write(d));
      io.onResize((size) => proc.resize(size.height, size.width));
      io.signal.addEventListener('abort', () => {
        proc.signal('SIGKILL').catch(() => {});
      });
      await proc.started;
      if (io.stdin) {
        io.stdin.on('data', (d: Buffer) => proc.write(d));
        io.stdin.on('end', () => proc.closeStdin());
      }
      const exit = await proc.exited;
      return { exitCode: exit.exitCode };
    },
    attach() {
      return Promise.reject(new SkiffError('Unimplemented', 'runtime-microvm does not attach'));
    },
    async portForward(podSandboxId, port, client, signal) {
      // The VM's address is reachable from the host over its tap on the bridge.
      const sandbox = sandboxOf(ctx, podSandboxId);
      if (sandbox.state !== 'SANDBOX_READY' || !ctx.live.has(sandbox.id) || !sandbox.ip) {
        throw new SkiffError('FailedPrecondition', `pod sandbox ${sandbox.id} is not ready`);
      }
      await forwardToAddress(sandbox.ip, port, client, signal);
    },
  };
}
