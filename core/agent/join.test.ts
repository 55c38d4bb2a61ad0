import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinKindRegistry } from '../../sdk/api/builtin-kinds.ts';
import { KubeClient } from '../../sdk/client/client.ts';
import { type ApiServer, createApiServer } from '../server/app.ts';
import { ensureNodeSecret } from '../server/node-auth.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { obtainNodeCredential } from './join.ts';

// obtainNodeCredential against an API server listening on loopback (plain HTTP here; the
// HTTPS path is the same call, exercised by skiff sim against skiff server).
let dir: string;
let store: Store;
let server: ApiServer;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-join-'));
  store = openStore(`sqlite:${join(dir, 'state.db')}`);
  server = await createApiServer({
    store,
    kinds: builtinKindRegistry(),
    token: 'admin',
    nodes: { joinToken: 'join-me', secret: ensureNodeSecret(dir) },
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await server.app.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('obtainNodeCredential', () => {
  it('returns a connection whose token acts as the node', async () => {
    const connection = await obtainNodeCredential(`${url}/`, 'join-me', 'worker-1');
    expect(connection).toEqual({
      server: url,
      token: expect.stringMatching(/^skiff-node\.worker-1\./),
    });
    const client = new KubeClient(connection);
    try {
      await client.create(
        { group: '', version: 'v1', plural: 'nodes' },
        {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: 'worker-1' },
        },
      );
      await expect(
        client.create(
          { group: '', version: 'v1', plural: 'nodes' },
          {
            apiVersion: 'v1',
            kind: 'Node',
            metadata: { name: 'worker-2' },
          },
        ),
      ).rejects.toMatchObject({ code: 'Forbidden' });
    } finally {
      client.close();
    }
  });

  // undefined stands for the test server, whose URL is known only once it listens.
  it.each([
    ['a wrong join token', undefined, 'nope', 'worker-1', 'Unauthorized', /node-token/],
    ['a bad node name', undefined, 'join-me', 'Bad_Name', 'BadRequest', /not a valid node name/],
    [
      'a server that is not there',
      'http://127.0.0.1:1',
      'join-me',
      'w',
      'ServiceUnavailable',
      /joining/,
    ],
    ['a server that is not a URL', 'not a url', 'join-me', 'w', 'BadRequest', /is not a URL/],
  ])('fails clearly with %s', async (_what, server, token, name, code, message) => {
    await expect(obtainNodeCredential(server ?? url, token, name)).rejects.toMatchObject({
      code,
      message: expect.stringMatching(message),
    });
  });
});
