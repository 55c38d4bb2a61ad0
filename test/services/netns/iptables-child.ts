// Runs the iptables service type inside whatever network namespace this process was started in
// (`ip netns exec NS node --import tsx iptables-child.ts`): one JSON command per stdin line,
// `{"op":"sync","routes":[...]}` or `{"op":"close"}`, answered by one line `ok` or `error: ...`.
import { createInterface } from 'node:readline';
import { IptablesServices } from '../../../plugins/service-clusterip/iptables.ts';
import type { ServiceRoute } from '../../../sdk/index.ts';

const services = new IptablesServices();
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const cmd = JSON.parse(line) as { op: 'sync'; routes: ServiceRoute[] } | { op: 'close' };
  try {
    if (cmd.op === 'sync') await services.sync(cmd.routes);
    else await services.close();
    process.stdout.write('ok\n');
  } catch (err) {
    process.stdout.write(`error: ${String(err).replace(/\n/g, ' | ')}\n`);
  }
}
