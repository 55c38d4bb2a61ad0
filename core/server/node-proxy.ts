import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import type { Duplex } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KubeObject } from '../../sdk/api/meta.ts';
import { SkiffError } from '../../sdk/errors.ts';
import { logQueryString, parseLogQuery } from '../agent/logs.ts';
import {
  isWebSocketUpgrade,
  offeredSubprotocol,
  refuseUpgrade,
  relayUpgrade,
  streamStatusFrame,
} from '../agent/stream-relay.ts';
import { authenticate, type NodeAuthOptions } from './node-auth.ts';
import type { ObjectService } from './object-service.ts';
import type { ResourceRegistry } from './resources.ts';
import { statusOf } from './status.ts';

/** NodeProxyOptions are what the pod subresources that reach a node need. */
export interface NodeProxyOptions {
  registry: ResourceRegistry;
  objects: ObjectService;
  /**
   * adminTokens may open exec and attach sessions (fastify's hooks never see an upgrade, so the
   * proxy checks it); absent, the server runs without authentication.
   */
  adminTokens?: readonly string[];
  /** nodes holds the join token, which node endpoints accept from the API server. */
  nodes?: NodeAuthOptions;
}

/** NodeSubresource is a pod subresource served by the pod's node. */
export type NodeSubresource = 'log' | 'exec' | 'attach' | 'portforward';

interface PodSpecView {
  nodeName?: string;
  containers?: { name: string }[];
  initContainers?: { name: string }[];
  ephemeralContainers?: { name: string }[];
}

interface NodeStatusView {
  addresses?: { type: string; address: string }[];
  daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
}

// The kubelet's port when a node publishes none.
const defaultNodePort = 10250;

/**
 * containerOf picks the container a request addresses, as Kubernetes does: the named one (any
 * container kind), or the only one when none is named.
 */
export function containerOf(pod: KubeObject, asked: string | undefined): string {
  const spec = (pod.spec ?? {}) as PodSpecView;
  const name = pod.metadata?.name ?? '';
  const main = (spec.containers ?? []).map((c) => c.name);
  const init = (spec.initContainers ?? []).map((c) => c.name);
  if (asked === undefined || asked === '') {
    if (main.length === 1 && main[0] !== undefined) return main[0];
    if (main.length === 0)
      throw new SkiffError('BadRequest', `a container name must be specified for pod ${name}`);
    let message = `a container name must be specified for pod ${name}, choose one of: [${main.join(' ')}]`;
    if (init.length > 0) message += ` or one of the init containers: [${init.join(' ')}]`;
    throw new SkiffError('BadRequest', message);
  }
  const all = [...main, ...init, ...(spec.ephemeralContainers ?? []).map((c) => c.name)];
  if (!all.includes(asked))
    throw new SkiffError('BadRequest', `container ${asked} is not valid for pod ${name}`);
  return asked;
}

/** nodeError turns a node endpoint's refusal (plain text, kubelet-style) into a Status error. */
export function nodeError(status: number, body: string): SkiffError {
  const message = body.trim() || `the node answered ${status}`;
  if (status === 400) return new SkiffError('BadRequest', message);
  if (status === 404) return new SkiffError('NotFound', message);
  if (status === 401 || status === 403)
    return new SkiffError(
      'InternalError',
      `the node refused the API server's credential (${status}): ${message}`,
    );
  return new SkiffError('InternalError', message);
}

/**
 * NodeProxy serves pods/log, pods/exec and pods/attach by forwarding them to the node endpoint
 * of the pod's node (its InternalIP and kubelet port from the Node status), as kube-apiserver
 * does: the node's certificate is not verified, the join token authenticates the API server.
 */
export class NodeProxy {
  readonly #opts: NodeProxyOptions;

  constructor(opts: NodeProxyOptions) {
    this.#opts = opts;
  }

  async #target(ns: string, name: string, container: string | undefined) {
    const pods = this.#opts.registry.find('', 'v1', 'pods');
    const nodes = this.#opts.registry.find('', 'v1', 'nodes');
    if (pods === undefined || nodes === undefined)
      throw new SkiffError('InternalError', 'pods and nodes are not registered');
    const pod = await this.#opts.objects.get(pods, ns, name);
    const chosen = containerOf(pod, container);
    const nodeName = ((pod.spec ?? {}) as PodSpecView).nodeName ?? '';
    if (nodeName === '') return { pod, container: chosen, base: undefined };
    const node = await this.#opts.objects.get(nodes, undefined, nodeName);
    const status = (node.status ?? {}) as NodeStatusView;
    const addresses = status.addresses ?? [];
    const address = ['InternalIP', 'Hostname', 'ExternalIP']
      .map((t) => addresses.find((a) => a.type === t)?.address)
      .find((a) => a !== undefined && a !== '');
    if (address === undefined)
      throw new SkiffError('InternalError', `node ${JSON.stringify(nodeName)} has no address`);
    const port = status.daemonEndpoints?.kubeletEndpoint?.Port || defaultNodePort;
    const host = address.includes(':') ? `[${address}]` : address;
    return { pod, container: chosen, base: `https://${host}:${port}` };
  }

  #headers(): Record<string, string> {
    const token = this.#opts.nodes?.joinToken;
    return token === undefined ? {} : { authorization: `Bearer ${token}` };
  }

  /** serve answers a pods/<sub> request that is not an upgrade (logs; exec without one). */
  async serve(
    sub: NodeSubresource,
    ns: string,
    name: string,
    req: FastifyRequest,
    reply: FastifyReply,
  ): Promise<unknown> {
    const url = new URL(req.url, 'https://api');
    const target = await this.#target(ns, name, url.searchParams.get('container') ?? undefined);
    if (sub !== 'log') {
      if (target.base === undefined) throw unscheduled(name);
      throw new SkiffError('BadRequest', 'Upgrade request required');
    }
    const parsed = parseLogQuery(url.searchParams);
    if (!parsed.ok) throw new SkiffError('BadRequest', parsed.message);
    // A pod no node has taken has no log yet: Kubernetes answers an empty one.
    if (target.base === undefined) return reply.type('text/plain').send('');
    const path = `/containerLogs/${[ns, name, target.container].map(encodeURIComponent).join('/')}`;
    const query = logQueryString(parsed.query);
    const nodeUrl = `${target.base}${path}${query === '' ? '' : `?${query}`}`;
    const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
      const r = request(nodeUrl, { headers: this.#headers(), rejectUnauthorized: false }, resolve);
      r.on('error', (err) =>
        reject(new SkiffError('InternalError', `Get ${JSON.stringify(nodeUrl)}: ${err.message}`)),
      );
      r.end();
    });
    if (upstream.statusCode !== 200) {
      const chunks: Buffer[] = [];
      for await (const c of upstream) chunks.push(c as Buffer);
      throw nodeError(upstream.statusCode ?? 502, Buffer.concat(chunks).toString('utf8'));
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/plain' });
    // kubectl logs -f waits for the headers before it shows anything.
    raw.flushHeaders();
    raw.on('close', () => upstream.destroy());
    await new Promise<void>((resolve) => {
      upstream.on('end', resolve);
      upstream.on('close', resolve);
      upstream.pipe(raw);
    });
    return reply;
  }

  /** upgrade handles the raw server's upgrade requests: exec and attach over WebSocket. */
  readonly upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const refuse = (err: unknown) => {
      const status = statusOf(err);
      refuseUpgrade(socket, status.code, JSON.stringify(status), 'application/json');
    };
    socket.on('error', () => socket.destroy());
    const admins = this.#opts.adminTokens;
    // Only the admin may open sessions in pods; a node credential or the join token may not.
    if (admins !== undefined) {
      const identity = authenticate(req.headers.authorization, admins, this.#opts.nodes);
      if (identity === undefined) {
        refuse(new SkiffError('Unauthorized', 'Unauthorized'));
        return;
      }
      if (identity.kind !== 'admin') {
        refuse(new SkiffError('Forbidden', `${identity.user} may not open sessions in pods`));
        return;
      }
    }
    this.#upgrade(req, socket, head).catch(refuse);
  };

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://api');
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)$/.exec(
      url.pathname,
    );
    if (m === null)
      throw new SkiffError('NotFound', 'the server could not find the requested resource');
    const [ns, name, sub] = [m[1], m[2], m[3]].map((s) => decodeURIComponent(s ?? ''));
    if (sub === 'portforward')
      throw new SkiffError('ServiceUnavailable', 'port forwarding is not served by skiff yet');
    const q = url.searchParams;
    const target = await this.#target(ns ?? '', name ?? '', q.get('container') ?? undefined);
    if (target.base === undefined) throw unscheduled(name ?? '');
    if (sub === 'exec' && q.getAll('command').length === 0)
      throw new SkiffError('BadRequest', 'you must specify at least 1 command');
    if (!['stdin', 'stdout', 'stderr'].some((s) => q.get(s) === 'true' || q.get(s) === '1'))
      throw new SkiffError('BadRequest', 'you must specify at least one of stdin, stdout, stderr');
    const protocol = isWebSocketUpgrade(req) ? offeredSubprotocol(req) : undefined;
    if (protocol === undefined)
      throw new SkiffError(
        'BadRequest',
        `pods/${sub} is served over WebSocket (subprotocol v5.channel.k8s.io) only; SPDY is not supported`,
      );
    const forward = new URLSearchParams();
    for (const c of q.getAll('command')) forward.append('command', c);
    for (const s of ['stdin', 'stdout', 'stderr', 'tty']) {
      const v = q.get(s);
      if (v !== null) forward.set(s, v);
    }
    const path = `/${sub}/${[ns ?? '', name ?? '', target.container].map(encodeURIComponent).join('/')}`;
    const nodeUrl = `${target.base}${path}?${forward.toString()}`;
    relayUpgrade(
      { url: nodeUrl, protocol, headers: this.#headers(), insecure: true },
      req,
      socket,
      head,
      (refusal) => {
        // kubectl would fall back to SPDY on any answer but 101, so the node's refusal reaches
        // it as the Status on the error channel of a session that closes at once.
        const err =
          'error' in refusal
            ? new SkiffError('InternalError', `error dialing backend: ${refusal.error.message}`)
            : nodeError(refusal.status, refusal.body);
        const { kind: _k, apiVersion: _v, ...status } = statusOf(err);
        return streamStatusFrame(status);
      },
    );
  }
}

const unscheduled = (name: string) =>
  new SkiffError('BadRequest', `pod ${name} does not have a host assigned`);
