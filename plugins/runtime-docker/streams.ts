import type { Duplex } from 'node:stream';
import { SkiffError } from '../../sdk/errors.ts';
import {
  forwardToAddress,
  type StreamIO,
  type StreamingRuntime,
} from '../../sdk/runtime/streaming.ts';
import { type DockerContext, inspectObject } from './labels.ts';

// Joins a hijacked Docker connection to a session: stdin in, output out (demultiplexed unless
// a terminal makes it one raw stream), until Docker closes the connection.
async function pump(ctx: DockerContext, conn: Duplex, io: StreamIO, tty: boolean): Promise<void> {
  if (io.stdin) {
    io.stdin.on('data', (c: Buffer) => conn.write(c));
    // Half-close so the process sees end of input while its output keeps flowing.
    io.stdin.on('end', () => conn.end());
  }
  if (tty) {
    conn.on('data', (c: Buffer) => io.stdout?.write(c));
  } else {
    const sink = { write: () => true } as unknown as NodeJS.WritableStream;
    ctx.docker.modem.demuxStream(
      conn,
      (io.stdout as NodeJS.WritableStream | undefined) ?? sink,
      (io.stderr as NodeJS.WritableStream | undefined) ?? sink,
    );
  }
  const onAbort = () => conn.destroy();
  io.signal.addEventListener('abort', onAbort);
  await new Promise<void>((resolve) => {
    conn.on('end', resolve);
    conn.on('close', resolve);
    conn.on('error', () => resolve());
  });
  io.signal.removeEventListener('abort', onAbort);
}

/** dockerStreams serves the streaming sessions of the Docker adapter. */
export function dockerStreams(ctx: DockerContext): StreamingRuntime {
  return {
    async exec(target, io) {
      const info = await inspectObject(ctx, 'container', target.containerId);
      const exec = await ctx.docker.getContainer(info.Id).exec({
        Cmd: target.cmd,
        Tty: target.tty,
        AttachStdin: target.stdin,
        AttachStdout: target.stdout,
        AttachStderr: target.stderr,
      });
      const conn = (await exec.start({
        hijack: true,
        stdin: target.stdin,
        Tty: target.tty,
      })) as Duplex;
      io.onResize((s) => void exec.resize({ w: s.width, h: s.height }).catch(() => {}));
      await pump(ctx, conn, io, target.tty);
      return { exitCode: (await exec.inspect()).ExitCode ?? 0 };
    },
    async attach(target, io) {
      const info = await inspectObject(ctx, 'container', target.containerId);
      const container = ctx.docker.getContainer(info.Id);
      const conn = (await container.attach({
        stream: true,
        hijack: true,
        stdin: target.stdin,
        stdout: target.stdout,
        stderr: target.stderr,
      })) as unknown as Duplex;
      io.onResize((s) => void container.resize({ w: s.width, h: s.height }).catch(() => {}));
      await pump(ctx, conn, io, info.Config.Tty);
      const after = await container.inspect();
      return after.State.Running ? {} : { exitCode: after.State.ExitCode };
    },
    async portForward(podSandboxId, port, client, signal) {
      const info = await inspectObject(ctx, 'sandbox', podSandboxId);
      // The pod's address is reachable from the host over the bridge; a host-network pod
      // listens on the host itself.
      const ip =
        info.HostConfig.NetworkMode === 'host'
          ? '127.0.0.1'
          : (info.NetworkSettings.Networks?.[ctx.options.network]?.IPAddress ?? '');
      if (!ip) throw new SkiffError('FailedPrecondition', `pod sandbox ${info.Id} has no address`);
      await forwardToAddress(ip, port, client, signal);
    },
  };
}
