import 'reflect-metadata';
import { fileURLToPath } from 'node:url';
import { container } from 'tsyringe';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPlugins } from '../../../core/plugins/loader.ts';
import type { LoadedPlugins } from '../../../core/plugins/register.ts';
import { clusterBinder } from '../../../core/scheduler/cluster.ts';
import { defaultProfile } from '../../../core/scheduler/default-profile.ts';
import type { ProfileConfig } from '../../../core/scheduler/framework.ts';
import { MemoryCluster } from '../../../core/scheduler/memory-cluster.ts';
import { Scheduler } from '../../../core/scheduler/scheduler.ts';
import { makeNode, makePod } from '../../../plugins/scheduler-default/fixtures.ts';
import type { Logger } from '../../../sdk/plugin.ts';
import { podBinderToken, schedulerPluginExtension } from '../../../sdk/scheduler.ts';

// A platform team's plugin, loaded by path next to the built-in defaults through the plugin
// loader, changes where pods land: that is the extension story without a fork.

const here = fileURLToPath(new URL('.', import.meta.url));
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const open: Array<{ loaded: LoadedPlugins; scheduler: Scheduler }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.scheduler.stop();
    await o.loaded.close();
  }
});

async function place(profile: ProfileConfig, config: Record<string, unknown> = {}) {
  const cluster = new MemoryCluster();
  const parent = container.createChildContainer();
  parent.register(podBinderToken, { useValue: clusterBinder(cluster) });
  const loaded = await loadPlugins({
    sources: ['scheduler-default', { source: './index.ts', config }],
    baseDir: here,
    container: parent,
    logger: quiet,
  });
  const scheduler = new Scheduler({
    cluster,
    plugins: loaded.extensions(schedulerPluginExtension),
    profiles: [profile],
  });
  open.push({ loaded, scheduler });
  // The biggest node wins under LeastAllocated, but it is under maintenance; the two others
  // are alike apart from their cost.
  cluster.putNode(
    makeNode('big', { cpu: '64', labels: { 'example.com/maintenance': 'true', 'acme/cost': '1' } }),
  );
  cluster.putNode(
    makeNode('pricey', { cpu: '8', labels: { 'example.com/cost': '9', 'acme/cost': '9' } }),
  );
  cluster.putNode(
    makeNode('cheap', { cpu: '8', labels: { 'example.com/cost': '2', 'acme/cost': '3' } }),
  );
  for (const i of [1, 2, 3]) cluster.putPod(makePod(`p${i}`, { cpu: '1' }));
  scheduler.start();
  await scheduler.idle();
  return { cluster, loaded };
}

function placed(cluster: MemoryCluster): string[] {
  return [...cluster.pods.values()].map((p) => p.spec?.nodeName ?? '');
}

describe('example scheduler plugin loaded by path', () => {
  it('provides a Filter and a Score under the scheduler-plugin kind', async () => {
    const { loaded } = await place(defaultProfile());
    const ids = loaded.plugins.map((p) => [p.id, p.sourceKind]);
    expect(ids).toContainEqual(['example-scheduler', 'path']);
    const maintenance = loaded.extension(schedulerPluginExtension, 'Maintenance');
    const cheapest = loaded.extension(schedulerPluginExtension, 'CheapestFirst');
    expect(typeof maintenance?.filter).toBe('function');
    expect(typeof cheapest?.score).toBe('function');
  });

  it('the default profile alone puts pods on the big node', async () => {
    const { cluster } = await place(defaultProfile());
    expect(placed(cluster)).toEqual(['big', 'big', 'big']);
  });

  it('with the plugin in the profile, pods skip the node under maintenance and pick the cheap one', async () => {
    const base = defaultProfile();
    const profile = {
      ...base,
      plugins: [...base.plugins, 'Maintenance', { name: 'CheapestFirst', weight: 5 }],
    };
    const { cluster } = await place(profile);
    expect(placed(cluster)).toEqual(['cheap', 'cheap', 'cheap']);
  });

  it('reads its labels from its config section', async () => {
    const base = defaultProfile();
    const profile = {
      ...base,
      plugins: [...base.plugins, 'Maintenance', { name: 'CheapestFirst', weight: 5 }],
    };
    // With acme/cost the big node is cheapest, and nothing is under maintenance by that label.
    const { cluster } = await place(profile, {
      maintenanceLabel: 'acme/maintenance',
      costLabel: 'acme/cost',
    });
    expect(placed(cluster)).toEqual(['big', 'big', 'big']);
  });

  it('a node under maintenance shows in the unschedulable message', async () => {
    const base = defaultProfile();
    const profile = { ...base, plugins: [...base.plugins, 'Maintenance'] };
    const cluster = (await place(profile)).cluster;
    cluster.putPod(makePod('huge', { cpu: '32' }));
    const running = open.at(-1)?.scheduler;
    await running?.idle();
    expect(cluster.condition('default/huge')?.message).toBe(
      '0/3 nodes are available: 1 node(s) were under maintenance, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
    );
  });
});
