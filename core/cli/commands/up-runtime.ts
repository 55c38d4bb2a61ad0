import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SkiffError } from '../../../sdk/errors.ts';
import { connectRuntime } from '../../../sdk/runtime/client.ts';
import { imageArchivesIn } from '../../../sdk/runtime/image-import.ts';
import { importImageFiles } from './image.ts';

/** NodeRuntime is a runtime adapter `skiff up` runs as its own process. */
export interface NodeRuntime {
  name: string;
  endpoint: string;
  version: string;
  /** imported names the images loaded from `<data-dir>/images/` at start. */
  imported: string[];
  stop(): Promise<void>;
}

const cli = fileURLToPath(new URL('../skiff.mjs', import.meta.url));

/**
 * startNodeRuntime runs `skiff runtime NAME` on a socket under the data dir (the containerd
 * runtime starts a private containerd there, as k3s does), waits until it answers Version,
 * then imports every image tarball in `<data-dir>/images/`, for air-gapped clusters.
 */
export async function startNodeRuntime(
  name: string,
  dataDir: string,
  dockerHost: string | undefined,
  pluginOptions: Readonly<Record<string, string>> = {},
): Promise<NodeRuntime> {
  const runDir = join(dataDir, 'run');
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  const endpoint = `unix://${join(runDir, `${name}.sock`)}`;
  const stateDir = join(dataDir, name);
  const args = [cli, 'runtime', name, '--listen', endpoint, '--state-dir', stateDir];
  if (dockerHost) args.push('--docker-host', dockerHost);
  for (const [key, value] of Object.entries(pluginOptions))
    args.push('--option', `${key}=${value}`);
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exited: number | null | undefined;
  const gone = new Promise<void>((done) =>
    child.once('exit', (code) => {
      exited = code;
      done();
    }),
  );
  const stop = async () => {
    if (exited === undefined) {
      child.kill('SIGTERM');
      await gone;
    }
  };
  const client = connectRuntime(endpoint, { timeoutMs: 2_000 });
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (exited !== undefined)
        throw new SkiffError('ServiceUnavailable', `skiff runtime ${name} exited with ${exited}`);
      try {
        const v = await client.version({ version: 'v1' });
        const archives = imageArchivesIn(join(dataDir, 'images'));
        const imported =
          archives.length === 0
            ? []
            : await importImageFiles(archives, {
                runtime: name,
                stateDir,
                ...(dockerHost ? { dockerHost } : {}),
                option: [],
                logLevel: 'warn',
              });
        return {
          name,
          endpoint,
          version: `${v.runtimeName} ${v.runtimeVersion}`,
          imported,
          stop,
        };
      } catch (err) {
        if (Date.now() > deadline) throw err;
        if ((err as { grpcCode?: number }).grpcCode === undefined) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    client.close();
  }
}
