// One leader-election candidate as its own process, for the two-process test: it prints
// `leading`, then `act <ms>` every 100 ms while it leads, and `stopped` when it steps down.
import { KubeClient } from '../../sdk/client/client.ts';
import { LeaderElector } from '../../sdk/controller/leader-election.ts';

const [kubeconfig, lease, identity] = process.argv.slice(2);
if (!kubeconfig || !lease || !identity) {
  process.stderr.write('usage: candidate-process.ts KUBECONFIG LEASE IDENTITY\n');
  process.exit(2);
}
const client = KubeClient.fromKubeconfig(kubeconfig);
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
const elector = new LeaderElector({
  client,
  namespace: 'default',
  name: lease,
  identity,
  leaseDurationMs: 3_000,
  renewDeadlineMs: 2_000,
  retryPeriodMs: 300,
  releaseOnStop: false,
  logger: {
    debug() {},
    info: (msg) => process.stderr.write(`info ${msg}\n`),
    warn: (msg, fields) => process.stderr.write(`warn ${msg} ${JSON.stringify(fields)}\n`),
    error: (msg, fields) => process.stderr.write(`error ${msg} ${JSON.stringify(fields)}\n`),
  },
  onNewLeader: (id) => process.stderr.write(`observed leader ${id}\n`),
  async onStartedLeading(signal) {
    process.stdout.write('leading\n');
    while (!signal.aborted) {
      process.stdout.write(`act ${Date.now()}\n`);
      await new Promise((r) => setTimeout(r, 100));
    }
  },
  onStoppedLeading: () => process.stdout.write('stopped\n'),
});
process.stdout.write('candidate ready\n');
await elector.run(stop.signal);
client.close();
