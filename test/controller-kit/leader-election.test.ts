import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lease } from '../../sdk/api/cluster/lease.ts';
import type { KubeClient } from '../../sdk/client/client.ts';
import { type LeaderElectionOptions, LeaderElector } from '../../sdk/controller/leader-election.ts';
import { type ApiServer, startApiServer } from './api-server.ts';

const leases = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  namespace: 'default',
};
const fast = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 300 };

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Candidate is one elector with its own client, recording when it led. */
interface Candidate {
  readonly id: string;
  readonly elector: LeaderElector;
  readonly abort: AbortController;
  readonly run: Promise<void>;
  stoppedLeading: number;
  workAborted: boolean;
}

describe('leader election on a real skiff server', () => {
  let server: ApiServer;
  const clients: KubeClient[] = [];
  const candidates: Candidate[] = [];
  let leading = 0;
  let mostAtOnce = 0;

  const candidate = (
    id: string,
    lease: string,
    extra: Partial<LeaderElectionOptions> = {},
  ): Candidate => {
    const client = server.client();
    clients.push(client);
    const abort = new AbortController();
    const c = { id, abort, stoppedLeading: 0, workAborted: false } as Candidate & {
      elector: LeaderElector;
      run: Promise<void>;
    };
    c.elector = new LeaderElector({
      client,
      namespace: 'default',
      name: lease,
      identity: id,
      ...fast,
      onStartedLeading: (signal) => {
        leading++;
        mostAtOnce = Math.max(mostAtOnce, leading);
        signal.addEventListener('abort', () => {
          leading--;
          c.workAborted = true;
        });
      },
      onStoppedLeading: () => {
        c.stoppedLeading++;
      },
      ...extra,
    });
    c.run = c.elector.run(abort.signal);
    candidates.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await startApiServer();
  });

  afterAll(async () => {
    for (const c of candidates) c.abort.abort();
    await Promise.all(candidates.map((c) => c.run));
    for (const client of clients) client.close();
    await server?.remove();
  });

  it('lets one of two candidates lead, and moves leadership when the leader stops renewing', async () => {
    const a = candidate('a', 'kit-demo', { releaseOnStop: false });
    const b = candidate('b', 'kit-demo', { releaseOnStop: false });
    await until('a leader', () => a.elector.isLeader() || b.elector.isLeader());
    // Several renewal rounds pass; the other candidate must never lead meanwhile.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(mostAtOnce).toBe(1);
    const [leader, follower] = a.elector.isLeader() ? [a, b] : [b, a];
    expect(follower.elector.isLeader()).toBe(false);
    expect(follower.elector.leader).toBe(leader.id);
    const client = clients[0] as KubeClient;
    const before = await client.get<Lease>(leases, 'kit-demo');
    expect(before.spec).toMatchObject({
      holderIdentity: leader.id,
      leaseDurationSeconds: 3,
      leaseTransitions: 0,
    });

    // The leader stops without giving the Lease up: the follower must wait out the lease.
    leader.abort.abort();
    await leader.run;
    expect(leader.workAborted).toBe(true);
    expect(leader.stoppedLeading).toBe(1);
    await until('the follower to lead', () => follower.elector.isLeader());
    expect(mostAtOnce).toBe(1);
    const after = await client.get<Lease>(leases, 'kit-demo');
    expect(after.spec).toMatchObject({ holderIdentity: follower.id, leaseTransitions: 1 });
    expect(Date.parse(after.spec?.acquireTime ?? '')).toBeGreaterThan(
      Date.parse(before.spec?.acquireTime ?? ''),
    );
  });

  it('stops the work of a leader that finds another holder on renewal', async () => {
    const c = candidate('solo', 'kit-steal');
    await until('solo to lead', () => c.elector.isLeader());
    const client = clients[0] as KubeClient;
    const lease = await client.get<Lease>(leases, 'kit-steal');
    // Another party takes the Lease (as an administrator might): the leader must step down.
    await client.update(leases, {
      ...lease,
      spec: { ...lease.spec, holderIdentity: 'intruder', leaseDurationSeconds: 60 },
    });
    await c.run;
    expect(c.workAborted).toBe(true);
    expect(c.stoppedLeading).toBe(1);
    expect(c.elector.isLeader()).toBe(false);
    expect(c.elector.leader).toBe('intruder');
  });

  it('gives the Lease up on stop so a successor need not wait out the lease', async () => {
    const first = candidate('first', 'kit-release', {
      leaseDurationMs: 60_000,
      renewDeadlineMs: 2_000,
    });
    await until('first to lead', () => first.elector.isLeader());
    first.abort.abort();
    await first.run;
    const client = clients[0] as KubeClient;
    expect((await client.get<Lease>(leases, 'kit-release')).spec?.holderIdentity).toBe('');
    const next = candidate('next', 'kit-release', {
      leaseDurationMs: 60_000,
      renewDeadlineMs: 2_000,
    });
    // Well inside the 60 s lease: only a released Lease can be taken this soon.
    await until('next to lead', () => next.elector.isLeader(), 10_000);
  });

  it('stops the work when renewals fail past the renew deadline (server gone)', async () => {
    const c = candidate('cut-off', 'kit-deadline');
    await until('cut-off to lead', () => c.elector.isLeader());
    await server.stop();
    await c.run;
    expect(c.workAborted).toBe(true);
    expect(c.stoppedLeading).toBe(1);
    expect(c.elector.isLeader()).toBe(false);
  });

  it('refuses timings where the lease would lapse before the leader gives up', () => {
    expect(
      () =>
        new LeaderElector({
          client: clients[0] as KubeClient,
          namespace: 'default',
          name: 'x',
          identity: 'x',
          leaseDurationMs: 1_000,
          renewDeadlineMs: 2_000,
          onStartedLeading: () => {},
        }),
    ).toThrow(/leaseDuration > renewDeadline > retryPeriod/);
  });
});
