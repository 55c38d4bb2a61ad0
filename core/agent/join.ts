import { type Agent as HttpAgent, request as httpRequest } from 'node:http';
import { type Agent, request as httpsRequest } from 'node:https';
import type { ClientConnection } from '../../sdk/client/kubeconfig.ts';
import { statusError } from '../../sdk/client/status-error.ts';
import { SkiffError } from '../../sdk/errors.ts';

/** nodeJoinPath is the API server's join endpoint (served by core/server/node-auth.ts). */
const nodeJoinPath = '/skiff/v1/nodes/join';

/** JoinOptions tune obtainNodeCredential. */
export interface JoinOptions {
  /** agent reuses connections when one process joins many nodes (skiff sim). */
  readonly agent?: Agent | HttpAgent;
  readonly signal?: AbortSignal;
}

/**
 * obtainNodeCredential presents the cluster's join token (`<data-dir>/node-token`) once at
 * `POST /skiff/v1/nodes/join` and returns the connection a node then acts with: the same
 * server and CA with a bearer token of its own, which authenticates as `system:node:<name>`
 * and may change only that node's Node, Lease and pods. A wrong join token fails with
 * SkiffError Unauthorized; a bad node name with BadRequest; an unreachable server with
 * ServiceUnavailable. Build a client with `new KubeClient(connection)`, or
 * `client.withToken(connection.token)` to share one connection pool among many nodes.
 */
export async function obtainNodeCredential(
  server: string,
  joinToken: string,
  nodeName: string,
  ca?: string,
  options: JoinOptions = {},
): Promise<ClientConnection> {
  const base = server.replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(`${base}${nodeJoinPath}`);
  } catch {
    throw new SkiffError('BadRequest', `server ${JSON.stringify(server)} is not a URL`);
  }
  const payload = JSON.stringify({ nodeName });
  const secure = url.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  const { status, body } = await new Promise<{ status: number; body: string }>(
    (resolve, reject) => {
      const req = send(url, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${joinToken}`,
          Accept: 'application/json',
          'Content-Type': 'application/json',
          'Content-Length': String(Buffer.byteLength(payload)),
        },
        ...(options.agent === undefined ? {} : { agent: options.agent }),
        ...(secure && options.agent === undefined && ca !== undefined ? { ca } : {}),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.once('error', reject);
      });
      req.once('error', (err) =>
        reject(
          new SkiffError('ServiceUnavailable', `joining ${base} as ${nodeName}: ${err.message}`, {
            cause: err,
          }),
        ),
      );
      req.end(payload);
    },
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = body;
  }
  if (status !== 201) {
    const err = statusError(status, parsed);
    const hint =
      err.code === 'Unauthorized' ? ' (is the token the one in <data-dir>/node-token?)' : '';
    throw new SkiffError(err.code, `joining ${base} as ${nodeName}: ${err.message}${hint}`, {
      details: err.details,
    });
  }
  const token = (parsed as { token?: unknown }).token;
  if (typeof token !== 'string')
    throw new SkiffError('InternalError', `joining ${base}: the answer carries no token`);
  return { server: base, token, ...(ca === undefined ? {} : { ca }) };
}
