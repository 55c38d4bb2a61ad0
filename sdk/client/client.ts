import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import type { KubeObject, ListMeta } from '../api/meta.ts';
import { SkiffError } from '../errors.ts';
import { type ClientConnection, readKubeconfig } from './kubeconfig.ts';
import {
  type ListOptions,
  queryString,
  type ResourceRef,
  resourcePath,
  type WatchOptions,
} from './resource.ts';
import { statusError } from './status-error.ts';
import { readWatchEvents, type WatchEvent } from './watch-stream.ts';

/** ObjectList is a list response: items and the list's metadata (resourceVersion, continue). */
export interface ObjectList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

/** PatchType names the patch formats the API server accepts, by their content type. */
export const patchContentType = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** PatchType is one of `json`, `merge`, `strategic`, `apply`. */
export type PatchType = keyof typeof patchContentType;

/** WriteOptions are the query parameters of writes. */
export interface WriteOptions {
  readonly fieldManager?: string;
  readonly dryRun?: boolean;
  /** force takes fields from other managers on a server-side apply. */
  readonly force?: boolean;
}

/** DeleteOptions tune a delete. */
export interface DeleteOptions {
  readonly propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  readonly gracePeriodSeconds?: number;
  /** resourceVersion makes the delete fail with Conflict when the object changed. */
  readonly resourceVersion?: string;
}

type Agents = { readonly requests: Agent | HttpAgent; readonly watches: Agent | HttpAgent };

// Set only while withToken builds a client, so the new client reuses the connections.
let sharedAgents: Agents | undefined;

/**
 * maxRequestSockets caps the connections for ordinary requests. Without a cap a burst of
 * concurrent calls (a scheduler binding hundreds of pods) opens one TLS connection per call,
 * and both ends spend their time in handshakes; capped, calls queue briefly and reuse warm
 * connections. Watches stay open for minutes, so they have their own uncapped pool.
 */
const maxRequestSockets = 32;

interface RawResponse {
  status: number;
  body: string;
}

/**
 * KubeClient is a small typed Kubernetes REST client over HTTPS with a keep-alive agent. Every
 * failed call throws a SkiffError whose code comes from the server's Status (NotFound,
 * Conflict, Expired, ...). Results are typed by the caller's choice of sdk/api type.
 */
export class KubeClient {
  readonly server: string;
  readonly #token: string | undefined;
  readonly #agents: Agents;
  readonly #secure: boolean;
  readonly #connection: ClientConnection;

  constructor(connection: ClientConnection) {
    const url = new URL(connection.server);
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new SkiffError('BadRequest', `server ${connection.server} must be an http(s) URL`);
    this.server = connection.server.replace(/\/+$/, '');
    this.#token = connection.token;
    this.#connection = connection;
    this.#secure = url.protocol === 'https:';
    const agent = (maxSockets: number) =>
      this.#secure
        ? new Agent({
            keepAlive: true,
            maxSockets,
            ca: connection.ca,
            cert: connection.cert,
            key: connection.key,
            rejectUnauthorized: connection.insecureSkipTlsVerify !== true,
          })
        : new HttpAgent({ keepAlive: true, maxSockets });
    this.#agents = sharedAgents ?? {
      requests: agent(maxRequestSockets),
      watches: agent(Number.POSITIVE_INFINITY),
    };
  }

  /**
   * withToken is a client for the same server that sends another bearer token over the same
   * connections (many node identities, one pool of sockets); closing either closes both.
   */
  withToken(token: string): KubeClient {
    sharedAgents = this.#agents;
    try {
      return new KubeClient({ ...this.#connection, token });
    } finally {
      sharedAgents = undefined;
    }
  }

  /** fromKubeconfig builds a client from a kubeconfig file's current (or named) context. */
  static fromKubeconfig(path: string, context?: string): KubeClient {
    return new KubeClient(readKubeconfig(path, context));
  }

  /** fromToken builds a client from a server URL, a bearer token and the CA's PEM text. */
  static fromToken(server: string, token: string, ca?: string): KubeClient {
    return new KubeClient({ server, token, ca });
  }

  /** close ends the agent's idle connections; open watches end too. */
  close(): void {
    this.#agents.requests.destroy();
    this.#agents.watches.destroy();
  }

  /** get reads one object. */
  async get<T extends KubeObject = KubeObject>(ref: ResourceRef, name: string): Promise<T> {
    return this.#json<T>('GET', resourcePath(ref, name));
  }

  /** list reads a collection (one page when `limit` is set; follow `metadata.continue`). */
  async list<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    options: ListOptions = {},
  ): Promise<ObjectList<T>> {
    return this.#json<ObjectList<T>>('GET', resourcePath(ref) + queryString({ ...options }));
  }

  /** create writes a new object into the collection. */
  async create<T extends KubeObject>(
    ref: ResourceRef,
    object: T,
    options: WriteOptions = {},
  ): Promise<T> {
    return this.#json<T>('POST', resourcePath(ref) + writeQuery(options), object);
  }

  /**
   * update replaces an object, or one of its subresources (`finalize` of a Namespace); a stale
   * metadata.resourceVersion fails with Conflict.
   */
  async update<T extends KubeObject>(
    ref: ResourceRef,
    object: T,
    options: WriteOptions & { subresource?: string } = {},
  ): Promise<T> {
    return this.#json<T>(
      'PUT',
      resourcePath(ref, nameOf(object), options.subresource) + writeQuery(options),
      object,
    );
  }

  /** getPath reads any JSON document the server serves by GET (discovery: `/apis`). */
  async getPath<T = unknown>(path: string): Promise<T> {
    if (!path.startsWith('/'))
      throw new SkiffError('BadRequest', `path ${JSON.stringify(path)} must start with /`);
    return this.#json<T>('GET', path);
  }

  /** updateStatus replaces an object's status through the status subresource. */
  async updateStatus<T extends KubeObject>(
    ref: ResourceRef,
    object: T,
    options: WriteOptions = {},
  ): Promise<T> {
    return this.#json<T>(
      'PUT',
      resourcePath(ref, nameOf(object), 'status') + writeQuery(options),
      object,
    );
  }

  /** patch changes an object with a JSON, merge, strategic merge or apply patch. */
  async patch<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    name: string,
    type: PatchType,
    patch: unknown,
    options: WriteOptions & { subresource?: string } = {},
  ): Promise<T> {
    if (type === 'apply' && options.fieldManager === undefined)
      throw new SkiffError('BadRequest', 'a server-side apply patch needs a fieldManager');
    const body = typeof patch === 'string' ? patch : JSON.stringify(patch);
    return this.#json<T>(
      'PATCH',
      resourcePath(ref, name, options.subresource) + writeQuery(options),
      body,
      patchContentType[type],
    );
  }

  /** delete removes an object and returns what the server answers (the object or a Status). */
  async delete(ref: ResourceRef, name: string, options: DeleteOptions = {}): Promise<KubeObject> {
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
    if (options.gracePeriodSeconds !== undefined)
      body.gracePeriodSeconds = options.gracePeriodSeconds;
    if (options.resourceVersion !== undefined)
      body.preconditions = { resourceVersion: options.resourceVersion };
    return this.#json<KubeObject>('DELETE', resourcePath(ref, name), body);
  }

  /**
   * watch streams changes as `{ type, object }` events, read from the newline-delimited JSON
   * stream. The iterator ends when the server closes the stream (timeoutSeconds, restart) or
   * the signal aborts; an ERROR event is yielded as is (its object is a Status).
   */
  async *watch<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    options: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<T>> {
    const { signal, ...query } = options;
    // A half-open connection (a host gone without a word) would hang the watch for ever; the
    // server ends a watch at timeoutSeconds, so silence well past that means the link is dead.
    const idleMs = query.timeoutSeconds ? (query.timeoutSeconds + 30) * 1000 : undefined;
    const res = await this.#open(
      'GET',
      resourcePath(ref) + queryString({ ...query, watch: true }),
      {
        signal,
        idleMs,
        watch: true,
      },
    );
    if (res.statusCode !== 200) {
      const raw = await readAll(res);
      throw statusError(raw.status, parseBody(raw.body));
    }
    try {
      yield* readWatchEvents<T>(res);
    } finally {
      res.destroy();
    }
  }

  async #json<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const res = await this.#open(method, path, { body, contentType });
    const raw = await readAll(res);
    const parsed = parseBody(raw.body);
    if (raw.status < 200 || raw.status > 299) throw statusError(raw.status, parsed);
    return parsed as T;
  }

  #open(
    method: string,
    path: string,
    opts: {
      body?: unknown;
      contentType?: string;
      signal?: AbortSignal;
      idleMs?: number;
      watch?: boolean;
    },
  ): Promise<IncomingMessage> {
    const payload =
      opts.body === undefined
        ? undefined
        : typeof opts.body === 'string'
          ? opts.body
          : JSON.stringify(opts.body);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.#token) headers.Authorization = `Bearer ${this.#token}`;
    if (payload !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const send = this.#secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(`${this.server}${path}`, {
        method,
        headers,
        agent: opts.watch === true ? this.#agents.watches : this.#agents.requests,
        signal: opts.signal,
      });
      if (opts.idleMs !== undefined) {
        const idleMs = opts.idleMs;
        req.once('socket', (socket) => {
          socket.setTimeout(idleMs, () => socket.destroy());
          // the socket may go back to the keep-alive pool afterwards: no timeout there
          req.once('close', () => socket.setTimeout(0));
        });
      }
      req.once('response', resolve);
      req.once('error', (err) =>
        reject(
          opts.signal?.aborted
            ? err
            : new SkiffError(
                'ServiceUnavailable',
                `${method} ${this.server}${path}: ${err.message}`,
                {
                  cause: err,
                },
              ),
        ),
      );
      req.end(payload);
    });
  }
}

function nameOf(object: KubeObject): string {
  const name = object.metadata?.name;
  if (!name) throw new SkiffError('BadRequest', 'the object has no metadata.name');
  return name;
}

function writeQuery(options: WriteOptions): string {
  return queryString({
    fieldManager: options.fieldManager,
    dryRun: options.dryRun ? 'All' : undefined,
    force: options.force,
  });
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function readAll(res: IncomingMessage): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.once('end', () =>
      resolve({ status: res.statusCode ?? 500, body: Buffer.concat(chunks).toString('utf8') }),
    );
    res.once('error', reject);
  });
}
