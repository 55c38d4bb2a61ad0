import { openStore } from '../../../core/store/open-store.ts';
import { type EtcdCluster, startEtcdCluster } from '../../harness/etcd.ts';
import { storeConformance } from './suite.ts';

let cluster: EtcdCluster | undefined;

storeConformance('etcd, one member', {
  open: async () => {
    cluster = await startEtcdCluster(1);
    return openStore(cluster.storeSpec, { deadlineMs: 5000 });
  },
  teardown: async () => {
    await cluster?.stop();
  },
});
