import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VmNetwork } from './network.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-microvm-net-'));
const suffix = Math.random().toString(36).slice(2, 7);
const net = new VmNetwork({
  bridge: `skvmt${suffix}`,
  subnet: `10.90.${200 + Math.floor(Math.random() * 50)}.0/24`,
  masquerade: true,
  leases: join(dir, 'leases.json'),
});
const sh = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });
const linkExists = (name: string) => {
  try {
    sh('ip', 'link', 'show', 'dev', name);
    return true;
  } catch {
    return false;
  }
};

afterAll(async () => {
  for (const id of Object.keys(net.leases())) await net.detach(id);
  await net.remove();
  rmSync(dir, { recursive: true, force: true });
});

describe('VM network on the host', () => {
  it('makes the bridge with the gateway, a tap per sandbox on it, and NAT rules once', async () => {
    const a = await net.attach('sandbox-a-0000000000');
    const b = await net.attach('sandbox-b-0000000000');
    expect(a.ip).not.toBe(b.ip);
    expect(a.gateway).toBe(`${net.options.subnet.split('.').slice(0, 3).join('.')}.1`);
    expect(sh('ip', '-4', '-o', 'addr', 'show', 'dev', net.options.bridge)).toContain(
      `${a.gateway}/24`,
    );
    for (const t of [a.tap, b.tap]) {
      expect(sh('ip', '-o', 'link', 'show', 'dev', t)).toContain(`master ${net.options.bridge}`);
    }
    // The same sandbox keeps its address; a second ensureBridge adds no rule twice.
    expect((await net.attach('sandbox-a-0000000000')).ip).toBe(a.ip);
    await net.ensureBridge();
    const nat = sh('iptables', '-w', '-t', 'nat', '-S', 'POSTROUTING');
    expect(
      nat.split('\n').filter((l) => l.includes(`skiff-microvm ${net.options.bridge}`)),
    ).toHaveLength(1);
    expect(net.leases()).toEqual({ 'sandbox-a-0000000000': a.ip, 'sandbox-b-0000000000': b.ip });

    await net.detach('sandbox-a-0000000000');
    await net.detach('sandbox-a-0000000000');
    expect(linkExists(a.tap)).toBe(false);
    expect(net.leases()).toEqual({ 'sandbox-b-0000000000': b.ip });
    await net.detach('sandbox-b-0000000000');

    await net.remove();
    expect(linkExists(net.options.bridge)).toBe(false);
    expect(sh('iptables', '-w', '-t', 'nat', '-S')).not.toContain(net.options.bridge);
    expect(sh('iptables', '-w', '-S', 'FORWARD')).not.toContain(net.options.bridge);
  });
});
