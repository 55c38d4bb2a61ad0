import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Logger, ServiceCapabilities, ServiceRoute, ServiceType } from '../../sdk/index.ts';
import { filterJumpRules, filterRestoreInput } from './reject.ts';
import { needsRouteLocalnet, parseNatState, removalInput, restoreInput } from './rules.ts';

const run = promisify(execFile);

/** IptablesOptions configure where the nat table is read and written. */
export interface IptablesOptions {
  /** save is the iptables-save command (default `iptables-save`). */
  readonly save?: string;
  /** restore is the iptables-restore command (default `iptables-restore`). */
  readonly restore?: string;
  /** routeLocalnetPath is the sysctl file turned on for loopback node ports and addresses. */
  readonly routeLocalnetPath?: string;
  readonly logger?: Logger;
}

function restore(command: string, input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, ['--noflush', '--wait'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} exited with ${code}: ${err.trim()}\ninput:\n${input}`));
    });
    child.stdin.end(input);
  });
}

/**
 * IptablesServices forwards service addresses and node ports with iptables nat rules in
 * kube-proxy's shape under skiff's own chain names, and refuses ports with no endpoint in the
 * filter table; every sync rewrites skiff's chains in one iptables-restore transaction and
 * leaves all other rules alone.
 */
export class IptablesServices implements ServiceType {
  readonly capabilities: ServiceCapabilities = {
    types: ['ClusterIP', 'NodePort', 'LoadBalancer'],
    protocols: ['TCP', 'UDP', 'SCTP'],
  };
  readonly #opts: IptablesOptions;
  #chain: Promise<void> = Promise.resolve();
  #localnet = false;

  constructor(opts: IptablesOptions = {}) {
    this.#opts = opts;
  }

  /** sync makes skiff's chains forward exactly these routes. */
  sync(routes: readonly ServiceRoute[]): Promise<void> {
    return this.#serial(async () => {
      if (!this.#localnet && needsRouteLocalnet(routes)) {
        // DNAT of traffic sent to 127.x (node ports on localhost, loopback LB addresses) to a
        // pod is dropped as martian unless the kernel may route loopback sources.
        await writeFile(
          this.#opts.routeLocalnetPath ?? '/proc/sys/net/ipv4/conf/all/route_localnet',
          '1',
        );
        this.#localnet = true;
      }
      const nat = parseNatState(await this.#save('nat'));
      const filter = parseNatState(await this.#save('filter'), filterJumpRules);
      // Both tables in one restore: forwarding and refusals change together.
      await restore(
        this.#opts.restore ?? 'iptables-restore',
        restoreInput(routes, nat) + filterRestoreInput(routes, filter),
      );
    });
  }

  /** close takes out every skiff chain and jump rule, from the nat and the filter table. */
  close(): Promise<void> {
    return this.#serial(async () => {
      const nat = parseNatState(await this.#save('nat'));
      const filter = parseNatState(await this.#save('filter'), filterJumpRules);
      const input = [
        nat.chains.size + nat.jumps.size > 0 ? removalInput(nat) : '',
        filter.chains.size + filter.jumps.size > 0
          ? removalInput(filter, 'filter', filterJumpRules)
          : '',
      ].join('');
      if (input) await restore(this.#opts.restore ?? 'iptables-restore', input);
    });
  }

  async #save(table: 'nat' | 'filter'): Promise<string> {
    const { stdout } = await run(this.#opts.save ?? 'iptables-save', ['-t', table]);
    return stdout;
  }

  #serial(step: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(step, step);
    this.#chain = next.catch(() => undefined);
    return next;
  }
}
