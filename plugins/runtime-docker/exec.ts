import { PassThrough } from 'node:stream';
import { SkiffError } from '../../sdk/errors.ts';
import type { RpcRequestReceived, RpcResponse } from '../../sdk/runtime/rpcs.ts';
import { type DockerContext, inspectObject } from './labels.ts';

/** execSync runs a command in a running container and returns its output and exit code. */
export async function execSync(
  ctx: DockerContext,
  req: RpcRequestReceived<'ExecSync'>,
): Promise<RpcResponse<'ExecSync'>> {
  if (req.cmd.length === 0) throw new SkiffError('Invalid', 'exec command is empty');
  const info = await inspectObject(ctx, 'container', req.containerId);
  if (!info.State.Running)
    throw new SkiffError('FailedPrecondition', `container ${info.Id} is not running`);
  const exec = await ctx.docker.getContainer(info.Id).exec({
    Cmd: req.cmd,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const out = new PassThrough().on('data', (c: Buffer) => stdout.push(c));
  const err = new PassThrough().on('data', (c: Buffer) => stderr.push(c));
  ctx.docker.modem.demuxStream(stream, out, err);
  const ended = new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  const timeoutSeconds = Number(req.timeout);
  let timer: NodeJS.Timeout | undefined;
  const timedOut =
    timeoutSeconds > 0
      ? new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), timeoutSeconds * 1000);
        })
      : new Promise<never>(() => {});
  const outcome = await Promise.race([ended, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    stream.destroy();
    throw new SkiffError(
      'Timeout',
      `command ${JSON.stringify(req.cmd)} timed out after ${timeoutSeconds}s`,
    );
  }
  const result = await exec.inspect();
  return {
    stdout: Buffer.concat(stdout),
    stderr: Buffer.concat(stderr),
    exitCode: result.ExitCode ?? 0,
  };
}
