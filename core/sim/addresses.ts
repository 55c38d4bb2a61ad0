/**
 * nodeAddresses gives simulated node `index` (0-based) its host IP and pod range. Pod ranges
 * are /24s from 10.64.0.0/10 (16384 nodes), host IPs from 100.64.0.0/10, so neither clashes
 * with the other nor with loopback.
 */
export function nodeAddresses(index: number): {
  hostIP: string;
  podCIDR: string;
  podPrefix: string;
} {
  if (!Number.isInteger(index) || index < 0 || index >= 16384) {
    throw new RangeError(`simulated node index ${index} is outside 0..16383`);
  }
  const podPrefix = `10.${64 + Math.floor(index / 256)}.${index % 256}`;
  const hostIP = `100.${64 + Math.floor(index / 65024)}.${Math.floor(index / 254) % 256}.${(index % 254) + 1}`;
  return { hostIP, podCIDR: `${podPrefix}.0/24`, podPrefix };
}

/** PodIpPool hands out the host addresses of one node's /24 (.2 to .254) and takes them back. */
export class PodIpPool {
  readonly #prefix: string;
  readonly #used = new Set<number>();
  #next = 2;

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** allocate returns a free address, or undefined when all 253 are taken. */
  allocate(): string | undefined {
    for (let tried = 0; tried < 253; tried++) {
      const host = this.#next;
      this.#next = host >= 254 ? 2 : host + 1;
      if (!this.#used.has(host)) {
        this.#used.add(host);
        return `${this.#prefix}.${host}`;
      }
    }
    return undefined;
  }

  /** reserve marks an address as taken (a pod started before this pool existed holds it). */
  reserve(ip: string): void {
    if (!ip.startsWith(`${this.#prefix}.`)) return;
    const host = Number(ip.slice(this.#prefix.length + 1));
    if (Number.isInteger(host) && host >= 2 && host <= 254) this.#used.add(host);
  }

  /** release gives an address back; addresses of other ranges are ignored. */
  release(ip: string): void {
    if (!ip.startsWith(`${this.#prefix}.`)) return;
    this.#used.delete(Number(ip.slice(this.#prefix.length + 1)));
  }

  /** size is how many addresses are handed out. */
  get size(): number {
    return this.#used.size;
  }
}
