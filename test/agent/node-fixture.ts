import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { type NodePodRef, type NodeServer, startNodeServer } from '../../core/agent/node-server.ts';
import { connectRuntime, type RuntimeClient } from '../../sdk/runtime/client.ts';
import { buildImages } from '../fixtures/images/index.ts';
import {
  type Dockerd,
  type DockerRuntimeProcess,
  freePodSubnet,
  startDockerd,
  startDockerRuntime,
} from '../harness/dockerd.ts';

/** busybox is the image the node tests run. */
export const busybox = 'skiff.local/busybox:1';

/** NodeFixture is a real Docker runtime and a node endpoint serving the pods a test made. */
export interface NodeFixture {
  dir: string;
  runtime: RuntimeClient;
  server: NodeServer;
  token: string;
  /** pods is what the endpoint's findPod answers from, by `namespace/name`. */
  pods: Map<string, NodePodRef>;
  stop(): Promise<void>;
}

/** startNodeFixture starts dockerd, `skiff runtime docker` and a node endpoint on 127.0.0.1. */
export async function startNodeFixture(token: string): Promise<NodeFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-node-'));
  let dockerd: Dockerd | undefined;
  let proc: DockerRuntimeProcess | undefined;
  let runtime: RuntimeClient | undefined;
  let server: NodeServer | undefined;
  const stop = async () => {
    await server?.close();
    runtime?.close();
    await proc?.daemon.stop();
    await dockerd?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    dockerd = await startDockerd();
    await dockerd.loadImages((await buildImages([busybox])).path);
    proc = await startDockerRuntime(dockerd, join(dir, 'runtime.sock'), {
      subnet: freePodSubnet(),
    });
    runtime = connectRuntime(proc.endpoint, { timeoutMs: 60_000 });
    const pods = new Map<string, NodePodRef>();
    const rt = runtime;
    server = await startNodeServer({
      host: '127.0.0.1',
      port: 0,
      token,
      runtimes: (handler) => (handler === '' ? rt : undefined),
      findPod: (ns, name) => pods.get(`${ns}/${name}`),
    });
    return { dir, runtime, server, token, pods, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** PodSandbox is a sandbox made the way the agent makes one (its labels and log directory). */
export interface PodSandbox {
  id: string;
  uid: string;
  logDirectory: string;
  config: Record<string, unknown>;
}

/** runSandbox makes a pod sandbox with the agent's labels and log directory, and registers it. */
export async function runSandbox(f: NodeFixture, name: string, uid: string): Promise<PodSandbox> {
  const logDirectory = join(f.dir, 'pods', `default_${name}_${uid}`);
  mkdirSync(logDirectory, { recursive: true });
  const config = {
    metadata: { name, namespace: 'default', uid, attempt: 0 },
    hostname: name,
    logDirectory,
    labels: {
      'io.kubernetes.pod.name': name,
      'io.kubernetes.pod.namespace': 'default',
      'io.kubernetes.pod.uid': uid,
    },
  };
  const { podSandboxId } = await f.runtime.runPodSandbox({ config });
  f.pods.set(`default/${name}`, { uid, runtimeHandler: '' });
  return { id: podSandboxId, uid, logDirectory, config };
}

/** startContainer creates and starts one attempt of a pod's container running `sh -c script`. */
export async function startContainer(
  f: NodeFixture,
  sandbox: PodSandbox,
  name: string,
  attempt: number,
  script: string,
  /** stdin keeps the container's standard input open, for attach. */
  stdin = false,
): Promise<string> {
  const podLabels = (sandbox.config as { labels: Record<string, string> }).labels;
  const { containerId } = await f.runtime.createContainer({
    podSandboxId: sandbox.id,
    config: {
      metadata: { name, attempt },
      image: { image: busybox },
      command: ['sh', '-c', script],
      logPath: `${name}/${attempt}.log`,
      labels: { ...podLabels, 'io.kubernetes.container.name': name },
      stdin,
    },
    sandboxConfig: sandbox.config,
  });
  await f.runtime.startContainer({ containerId });
  return containerId;
}

/** HttpAnswer is a response of the node endpoint read to its end. */
export interface HttpAnswer {
  status: number;
  body: string;
}

/** nodeGet sends a GET to the node endpoint; onData sees each chunk as it arrives. */
export function nodeGet(
  f: NodeFixture,
  path: string,
  opts: { token?: string; onData?: (text: string) => void } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: f.server.port,
        path,
        rejectUnauthorized: false,
        headers: { authorization: `Bearer ${opts.token ?? f.token}` },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString('utf8');
          opts.onData?.(body);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** StreamSession is what a WebSocket streaming session returned: frames by channel. */
export interface StreamSession {
  protocol: string;
  out: string;
  err: string;
  status: Record<string, unknown> | undefined;
  refused?: number;
}

/**
 * nodeStream opens a WebSocket session on the node endpoint (`/exec/...`), lets onOpen talk to
 * it, and collects what comes back until the server closes.
 */
export function nodeStream(
  f: NodeFixture,
  path: string,
  onOpen: (ws: WebSocket, session: StreamSession) => void = () => undefined,
  token = f.token,
): Promise<StreamSession> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${f.server.port}${path}`, ['v5.channel.k8s.io'], {
      rejectUnauthorized: false,
      headers: { authorization: `Bearer ${token}` },
    });
    const session: StreamSession = { protocol: '', out: '', err: '', status: undefined };
    const timer = setTimeout(() => ws.terminate(), 30_000);
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      session.refused = res.statusCode ?? 0;
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => {
        session.out = body;
        resolve(session);
      });
    });
    ws.on('open', () => {
      session.protocol = ws.protocol;
      onOpen(ws, session);
    });
    ws.on('message', (d: Buffer) => {
      const body = d.subarray(1).toString('utf8');
      if (d[0] === 1) session.out += body;
      else if (d[0] === 2) session.err += body;
      else if (d[0] === 3) session.status = JSON.parse(body) as Record<string, unknown>;
    });
    ws.on('close', () => {
      clearTimeout(timer);
      resolve(session);
    });
    ws.on('error', (err) => {
      if (session.refused === undefined) reject(err);
    });
  });
}

/** waitFor polls fn until it returns a value, failing with `what` after ms. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
