import { SkiffError } from '../../sdk/errors.ts';
import type { RpcRequestReceived, RpcResponse } from '../../sdk/runtime/rpcs.ts';
import { anyMessage, containerdError, processTypeUrl } from './client.ts';
import { runningRecord } from './containers.ts';
import { ioDir, newId, type RuntimeContext } from './context.ts';
import { type OciProcess, processSpec } from './spec.ts';
import { CriLogWriter, makeFifos, removeFifos } from './task-io.ts';

/**
 * execSync answers ExecSync through a task exec: the command runs beside the container's
 * process with its environment, user and working directory; past the timeout it is killed
 * and the call fails with Timeout.
 */
export async function execSync(
  ctx: RuntimeContext,
  req: RpcRequestReceived<'ExecSync'>,
): Promise<RpcResponse<'ExecSync'>> {
  if (req.cmd.length === 0) throw new SkiffError('Invalid', 'ExecSync needs a command');
  const record = await runningRecord(ctx, req.containerId);
  const base = JSON.parse(record.spec?.value.toString('utf8') ?? '{}') as { process?: OciProcess };
  const proc = processSpec(
    req.cmd,
    base.process?.env ?? [],
    base.process?.cwd ?? '/',
    base.process?.user,
  );
  const execId = `exec-${newId().slice(0, 12)}`;
  const dir = ioDir(ctx, record.id, execId);
  const fifos = await makeFifos(dir);
  const output = new CriLogWriter(fifos, undefined, true);
  const timeoutSeconds = Number(req.timeout);
  try {
    await ctx.client.call('tasks', 'Exec', {
      containerId: record.id,
      execId,
      stdin: '',
      stdout: fifos.stdout,
      stderr: fifos.stderr,
      terminal: false,
      spec: anyMessage(processTypeUrl, proc),
    });
    // The timeout is our own timer: containerd may answer a call cut by its deadline with
    // another code than DEADLINE_EXCEEDED.
    const waiting = ctx.client.call<{ exitStatus: number }>(
      'tasks',
      'Wait',
      { containerId: record.id, execId },
      { timeoutMs: 2 ** 31 - 1 },
    );
    waiting.catch(() => {});
    await ctx.client.call('tasks', 'Start', { containerId: record.id, execId });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      if (timeoutSeconds > 0) timer = setTimeout(() => resolve('timeout'), timeoutSeconds * 1000);
    });
    const outcome = await Promise.race([waiting, timedOut]).finally(() => clearTimeout(timer));
    if (outcome === 'timeout') {
      await ctx.client
        .call('tasks', 'Kill', { containerId: record.id, execId, signal: 9 })
        .catch(() => {});
      await Promise.race([waiting.catch(() => {}), new Promise((r) => setTimeout(r, 5_000))]);
      throw new SkiffError('Timeout', `command timed out after ${timeoutSeconds}s`);
    }
    const exitCode = outcome.exitStatus;
    await output.close();
    const { stdout, stderr } = output.output();
    return { stdout, stderr, exitCode };
  } catch (err) {
    if (err instanceof SkiffError) throw err;
    throw containerdError(err, `cannot exec in container ${record.id}`);
  } finally {
    await output.close();
    await ctx.client
      .call('tasks', 'DeleteProcess', { containerId: record.id, execId })
      .catch(() => {});
    removeFifos(dir);
  }
}
