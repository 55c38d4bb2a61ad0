import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { isSkiffError } from '../errors.ts';
import { parseKubeconfig, readKubeconfig } from './kubeconfig.ts';
import { queryString, resourcePath } from './resource.ts';
import { statusError } from './status-error.ts';
import { readWatchEvents } from './watch-stream.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-client-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kubeconfig = (extra = '') => `
apiVersion: v1
kind: Config
current-context: main
clusters:
  - name: c1
    cluster:
      server: https://127.0.0.1:6443/
      certificate-authority-data: ${Buffer.from('CA PEM').toString('base64')}
  - name: c2
    cluster:
      server: https://10.0.0.1
      certificate-authority: ca.pem
contexts:
  - name: main
    context: { cluster: c1, user: admin }
  - name: other
    context: { cluster: c2, user: filed }
users:
  - name: admin
    user: { token: secret-token }
  - name: filed
    user: { tokenFile: token.txt }
${extra}`;

describe('kubeconfig', () => {
  it('reads the current context: server, CA data and token', () => {
    expect(parseKubeconfig(kubeconfig(), '/x/config')).toMatchObject({
      server: 'https://127.0.0.1:6443',
      ca: 'CA PEM',
      token: 'secret-token',
    });
  });

  it('reads a named context whose CA and token are files beside the kubeconfig', () => {
    writeFileSync(join(dir, 'ca.pem'), 'FILE CA');
    writeFileSync(join(dir, 'token.txt'), 'file-token\n');
    writeFileSync(join(dir, 'config'), kubeconfig());
    expect(readKubeconfig(join(dir, 'config'), 'other')).toMatchObject({
      server: 'https://10.0.0.1',
      ca: 'FILE CA',
      token: 'file-token',
    });
  });

  it.each([
    {
      name: 'a missing context',
      text: kubeconfig(),
      ctx: 'nope',
      message: /no context named "nope"/,
    },
    {
      name: 'no current-context',
      text: 'clusters: []',
      ctx: undefined,
      message: /no current-context/,
    },
    { name: 'bad YAML', text: 'a: [', ctx: undefined, message: /not valid YAML/ },
  ])('refuses $name with BadRequest', ({ text, ctx, message }) => {
    let caught: unknown;
    try {
      parseKubeconfig(text, '/x/config', ctx);
    } catch (err) {
      caught = err;
    }
    expect(isSkiffError(caught, 'BadRequest')).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });

  it('refuses a missing file with BadRequest', () => {
    expect(() => readKubeconfig(join(dir, 'absent'))).toThrow(/cannot read kubeconfig/);
  });
});

describe('resource paths', () => {
  it.each([
    {
      ref: { group: '', version: 'v1', plural: 'pods', namespace: 'ns' },
      name: 'p',
      sub: undefined,
      path: '/api/v1/namespaces/ns/pods/p',
    },
    {
      ref: { group: '', version: 'v1', plural: 'nodes' },
      name: undefined,
      sub: undefined,
      path: '/api/v1/nodes',
    },
    {
      ref: { group: 'apps', version: 'v1', plural: 'deployments', namespace: 'd' },
      name: 'x',
      sub: 'status',
      path: '/apis/apps/v1/namespaces/d/deployments/x/status',
    },
  ])('$path', ({ ref, name, sub, path }) => {
    expect(resourcePath(ref, name, sub)).toBe(path);
  });

  it('encodes only defined options', () => {
    expect(
      queryString({ labelSelector: 'a=b,c in (d)', limit: 5, continue: undefined, watch: true }),
    ).toBe('?labelSelector=a%3Db%2Cc+in+%28d%29&limit=5&watch=true');
    expect(queryString({ x: undefined })).toBe('');
  });
});

describe('statusError', () => {
  it.each([
    {
      http: 404,
      body: { kind: 'Status', reason: 'NotFound', code: 404, message: 'pods "x" not found' },
      code: 'NotFound',
    },
    { http: 409, body: { reason: 'AlreadyExists', code: 409 }, code: 'AlreadyExists' },
    { http: 409, body: { reason: 'Conflict', code: 409 }, code: 'Conflict' },
    { http: 410, body: { reason: 'Gone', code: 410 }, code: 'Expired' },
    { http: 200, body: { kind: 'Status', reason: 'Expired', code: 410 }, code: 'Expired' },
    {
      http: 422,
      body: {
        reason: 'Invalid',
        code: 422,
        details: { causes: [{ reason: 'FieldValueRequired', message: 'm', field: 'spec.x' }] },
      },
      code: 'Invalid',
    },
    { http: 503, body: 'upstream gone', code: 'ServiceUnavailable' },
    { http: 418, body: '', code: 'InternalError' },
  ])('HTTP $http $body.reason is $code', ({ http, body, code }) => {
    const err = statusError(http, body);
    expect(err.code).toBe(code);
    expect(err.message.length).toBeGreaterThan(0);
  });

  it('keeps causes and details', () => {
    const err = statusError(422, {
      reason: 'Invalid',
      message: 'bad',
      details: {
        name: 'x',
        kind: 'Pod',
        causes: [{ reason: 'FieldValueRequired', message: 'm', field: 'spec.x' }],
      },
    });
    expect(err.causes).toEqual([{ reason: 'FieldValueRequired', message: 'm', field: 'spec.x' }]);
    expect(err.details).toEqual({ name: 'x', kind: 'Pod' });
  });
});

describe('readWatchEvents', () => {
  it('reassembles lines split and joined across chunks', async () => {
    const a = JSON.stringify({
      type: 'ADDED',
      object: { metadata: { name: 'a', resourceVersion: '1' } },
    });
    const b = JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '7' } } });
    const text = `${a}\n\n${b}\n`;
    const chunks = [text.slice(0, 10), text.slice(10, a.length + 3), text.slice(a.length + 3)].map(
      (s) => Buffer.from(s),
    );
    const events = [];
    for await (const e of readWatchEvents(Readable.from(chunks))) events.push(e);
    expect(events.map((e) => [e.type, e.object.metadata?.resourceVersion])).toEqual([
      ['ADDED', '1'],
      ['BOOKMARK', '7'],
    ]);
  });

  it('fails on a line that is not JSON', async () => {
    const run = async () => {
      for await (const _ of readWatchEvents(Readable.from([Buffer.from('nope\n')]))) {
        // drain
      }
    };
    await expect(run()).rejects.toThrow(SyntaxError);
  });
});
