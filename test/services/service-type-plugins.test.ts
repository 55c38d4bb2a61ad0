// service-clusterip and service-loadbalancer loaded by their built-in ids, as `skiff up` and
// the agent load them; loading touches no iptables and calls no server.
import 'reflect-metadata';
import { container } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { loadPlugins } from '../../core/plugins/loader.ts';
import {
  apiClientToken,
  componentExtension,
  isSkiffError,
  KubeClient,
  serviceTypeExtension,
} from '../../sdk/index.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function parent() {
  const c = container.createChildContainer();
  c.register(apiClientToken, { useValue: KubeClient.fromToken('https://127.0.0.1:1', '') });
  return c;
}

async function refusal(source: string, config: Record<string, unknown>): Promise<Error> {
  try {
    await loadPlugins({ sources: [{ source, config }], container: parent(), logger: silent });
  } catch (err) {
    expect(isSkiffError(err)).toBe(true);
    return err as Error;
  }
  throw new Error(`${source} loaded with ${JSON.stringify(config)}`);
}

describe('service type plugins', () => {
  it('provide service-type/iptables for ClusterIP, NodePort and LoadBalancer, and component/loadbalancer', async () => {
    const loaded = await loadPlugins({
      sources: ['service-clusterip', 'service-loadbalancer'],
      container: parent(),
      logger: silent,
    });
    try {
      const iptables = loaded.extension(serviceTypeExtension, 'iptables');
      expect(iptables?.capabilities.types).toEqual(['ClusterIP', 'NodePort', 'LoadBalancer']);
      expect(typeof loaded.extension(componentExtension, 'loadbalancer')?.run).toBe('function');
    } finally {
      await loaded.close();
    }
  });

  it.each([
    ['service-loadbalancer', { pool: '10.0.0.0/33' }, /service-loadbalancer.*pool/],
    ['service-loadbalancer', { pool: ['127.0.1.0/24'] }, /pool must be an IPv4 CIDR/],
    [
      'service-clusterip',
      { iptablesSave: '' },
      /service-clusterip.*iptablesSave must be a command name/,
    ],
  ])('%s refuses %j at load, naming the field', async (source, config, message) => {
    expect((await refusal(source, config)).message).toMatch(message);
  });
});
