import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, startDaemon } from '../harness/daemon.ts';
import { type ApiServer, startApiServer } from './api-server.ts';

const script = join(import.meta.dirname, 'candidate-process.ts');

const candidate = (server: ApiServer, identity: string) =>
  startDaemon({
    name: `candidate-${identity}`,
    command: process.execPath,
    args: () => ['--import', 'tsx', script, server.kubeconfig, 'two-processes', identity],
    ready: async () => true,
    readyTimeoutMs: 30_000,
    stopTimeoutMs: 5_000,
  });

/** acts reads the times a candidate acted at from its log. */
const acts = (d: Daemon) =>
  d
    .log()
    .split('\n')
    .filter((l) => l.startsWith('act '))
    .map((l) => Number(l.slice(4)));

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('two controller processes electing a leader', () => {
  let server: ApiServer;
  const daemons: Daemon[] = [];

  beforeAll(async () => {
    server = await startApiServer();
  });

  afterAll(async () => {
    for (const d of daemons) await d.stop().catch(() => {});
    await server?.remove();
  });

  it('never act at the same time, and the survivor takes over when the leader dies', async () => {
    const a = await candidate(server, 'a');
    daemons.push(a);
    const b = await candidate(server, 'b');
    daemons.push(b);
    await until('a leader', () => acts(a).length > 0 || acts(b).length > 0);
    await new Promise((r) => setTimeout(r, 2_000));
    const [leader, follower] = acts(a).length > 0 ? [a, b] : [b, a];
    expect(acts(follower)).toEqual([]);
    // The leader dies without a word: the follower must wait out the lease, then act.
    leader.kill('SIGKILL');
    const lastLeaderAct = Math.max(...acts(leader));
    await until('the follower to act', () => acts(follower).length > 0).catch((err) => {
      throw new Error(
        `${err.message}; follower log:\n${follower.log().slice(-2000)}\nleader log:\n${leader.log().slice(-1000)}`,
      );
    });
    expect(Math.min(...acts(follower))).toBeGreaterThan(lastLeaderAct);
    expect(follower.log()).toContain('leading');
  });
});
