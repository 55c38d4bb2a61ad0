import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { container } from 'tsyringe';
import { KubeClient } from '../../../sdk/client/client.ts';
import { podBinderToken, schedulerPluginExtension } from '../../../sdk/scheduler.ts';
import { ApiCluster } from '../../scheduler/api-cluster.ts';
import { clusterBinder } from '../../scheduler/cluster.ts';
import { defaultProfile } from '../../scheduler/default-profile.ts';
import type { ProfileConfig } from '../../scheduler/framework.ts';
import { Scheduler } from '../../scheduler/scheduler.ts';
import { loadConfiguredPlugins } from './plugin-set.ts';

/** SchedulerCommandOptions are the flags of `skiff scheduler`. */
export interface SchedulerCommandOptions {
  kubeconfig: string;
  config?: string;
  schedulerName: string[];
  percentageOfNodesToScore?: number;
}

/**
 * parsePercentage reads --percentage-of-nodes-to-score: a whole number from 0 to 100, as in
 * KubeSchedulerConfiguration (0 picks the adaptive share).
 */
export function parsePercentage(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 100) {
    throw new InvalidArgumentError('must be a whole number from 0 to 100 (0: adaptive)');
  }
  return n;
}

/**
 * schedulerProfiles builds one profile per scheduler name: the default plugins, then every other
 * loaded scheduler plugin (a platform team's Filter or Score joins by being configured).
 */
export function schedulerProfiles(
  names: readonly string[],
  loaded: Iterable<string>,
  percentageOfNodesToScore?: number,
): ProfileConfig[] {
  return names.map((name) => {
    const base = defaultProfile(name);
    const known = new Set(base.plugins.map((p) => (typeof p === 'string' ? p : p.name)));
    const extra = [...loaded].filter((p) => !known.has(p)).sort();
    return { ...base, plugins: [...base.plugins, ...extra], percentageOfNodesToScore };
  });
}

/** runScheduler schedules pods of the cluster the kubeconfig names until SIGINT or SIGTERM. */
export async function runScheduler(opts: SchedulerCommandOptions): Promise<void> {
  const client = KubeClient.fromKubeconfig(resolve(opts.kubeconfig));
  const cluster = new ApiCluster(client);
  // The DefaultBinder resolves the binder when it binds; this process is the scheduler, so the
  // root container is the place for it.
  container.register(podBinderToken, { useValue: clusterBinder(cluster) });
  const { loaded } = await loadConfiguredPlugins(opts.config, 'info', client);
  const plugins = loaded.extensions(schedulerPluginExtension);
  const names = opts.schedulerName.length > 0 ? opts.schedulerName : ['default-scheduler'];
  const scheduler = new Scheduler({
    cluster,
    plugins,
    profiles: schedulerProfiles(names, plugins.keys(), opts.percentageOfNodesToScore),
    onError: (err, pod) =>
      process.stderr.write(
        `skiff scheduler: scheduling ${pod.metadata.namespace}/${pod.metadata.name} failed: ${err instanceof Error ? err.message : String(err)}\n`,
      ),
  });
  scheduler.start();
  process.stdout.write(
    `skiff scheduler scheduling for ${names.join(', ')} against ${client.server} with ${plugins.size} plugins\n`,
  );
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await scheduler.stop();
  await cluster.close();
  client.close();
  await loaded.close();
}

/** registerSchedulerCommand adds `skiff scheduler`: place pending pods on nodes. */
export function registerSchedulerCommand(program: Command): void {
  program
    .command('scheduler')
    .description('run the scheduler against a cluster: place pending pods on nodes')
    .requiredOption('-k, --kubeconfig <file>', 'kubeconfig of the cluster to schedule for')
    .option('-c, --config <file>', 'cluster config file (YAML) naming the plugins to load')
    .option(
      '--scheduler-name <name>',
      'serve pods with this spec.schedulerName (repeatable; default: default-scheduler)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option(
      '--percentage-of-nodes-to-score <n>',
      'stop filtering once this share of the nodes fit (0-100; 0: 50% less 1% per 125 nodes, at least 5%)',
      parsePercentage,
    )
    .action((opts: SchedulerCommandOptions) => runScheduler(opts));
}
