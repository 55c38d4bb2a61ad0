import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent } from 'node:https';
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { KubeClient } from '../../../sdk/client/client.ts';
import { obtainNodeCredential } from '../../agent/join.ts';
import { NodeSimulator } from '../../sim/simulator.ts';

/** SimCommandOptions are the flags of `skiff sim`. */
export interface SimCommandOptions {
  server: string;
  token: string;
  ca?: string;
  nodes: number;
  namePrefix: string;
  cpu: string;
  memory: string;
  pods: string;
}

const quantity = /^(\d+(\.\d+)?)(m|k|Ki|M|Mi|G|Gi|T|Ti|P|Pi|E|Ei)?$/;

function parseQuantity(flag: string) {
  return (v: string): string => {
    if (!quantity.test(v))
      throw new InvalidArgumentError(`${flag} must be a quantity like 8 or 32Gi`);
    return v;
  };
}

function parseNodes(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 16384) {
    throw new InvalidArgumentError('must be an integer from 1 to 16384');
  }
  return n;
}

/**
 * runSim joins simulated nodes to the cluster at opts.server: each presents the join token
 * once for a credential of its own and acts with it, until SIGINT or SIGTERM.
 */
export async function runSim(opts: SimCommandOptions): Promise<void> {
  let url: URL;
  try {
    url = new URL(opts.server);
  } catch {
    throw new Error(`--server ${JSON.stringify(opts.server)} is not a URL`);
  }
  const ca = opts.ca === undefined ? undefined : readFileSync(resolve(opts.ca), 'utf8');
  const server = url.toString().replace(/\/$/, '');
  // One pool of connections for the joins and one for every node's requests.
  const joinAgent =
    url.protocol === 'https:'
      ? new Agent({ keepAlive: true, ca })
      : new HttpAgent({ keepAlive: true });
  const client = KubeClient.fromToken(server, opts.token, ca);
  const simulator = new NodeSimulator({
    client,
    nodeClient: async (name) => {
      const credential = await obtainNodeCredential(server, opts.token, name, ca, {
        agent: joinAgent,
      });
      return client.withToken(credential.token ?? '');
    },
    nodes: opts.nodes,
    namePrefix: opts.namePrefix,
    cpu: opts.cpu,
    memory: opts.memory,
    pods: opts.pods,
  });
  try {
    await simulator.start();
  } catch (err) {
    await simulator.stop();
    client.close();
    throw err;
  } finally {
    joinAgent.destroy();
  }
  process.stdout.write(
    `skiff sim: ${opts.nodes} simulated nodes ready (${opts.namePrefix}1..${opts.namePrefix}${opts.nodes}) against ${client.server}\n`,
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
  await simulator.stop();
  client.close();
}

/** registerSimCommand adds `skiff sim`: run simulated nodes whose pods turn Running at once. */
export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('join simulated nodes to a cluster: their pods turn Running at once')
    .requiredOption('--server <url>', 'API server URL (https://host:port)')
    .requiredOption('--token <token>', "the server's join token (<data-dir>/node-token)")
    .option('--ca <file>', 'CA certificate of the server (<data-dir>/pki/ca.crt)')
    .option('--nodes <n>', 'how many nodes to simulate', parseNodes, 1)
    .option('--name-prefix <prefix>', 'node names are the prefix and 1..n', 'sim-')
    .option('--cpu <quantity>', 'cpu capacity of each node', parseQuantity('--cpu'), '8')
    .option(
      '--memory <quantity>',
      'memory capacity of each node',
      parseQuantity('--memory'),
      '32Gi',
    )
    .option('--pods <n>', 'pod capacity of each node', parseQuantity('--pods'), '110')
    .action((opts: SimCommandOptions) => runSim(opts));
}
