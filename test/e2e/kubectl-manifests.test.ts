import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { demoPod, type SkiffServer, startSkiffServer } from './kubectl-harness.ts';

// The seed manifests, the deprecated Ingress version and refused input, driven by the real
// kubectl 1.32 against its own `skiff server`.

const seeds = '/work/shared/manifests/seeds';
let server: SkiffServer;
let work: string;

beforeAll(async () => {
  server = await startSkiffServer();
  work = server.daemon.dir;
});

afterAll(async () => {
  await server?.daemon.stop();
});

const k = (...args: string[]) => server.kubectl(args);
const file = (name: string, text: string) => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};

/** snapshot lists every object with its resourceVersion, to prove a refused write changed nothing. */
async function snapshot(): Promise<string> {
  const r = await k(
    'get',
    'pods,deployments,services,configmaps,secrets,namespaces,ingresses',
    '-A',
    '-o',
    'jsonpath={range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name}@{.metadata.resourceVersion} {end}',
  );
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe('manifests and bad input through kubectl', () => {
  it('every seed manifest applies, reads back unchanged and deletes', async () => {
    for (const name of readdirSync(seeds).filter((f) => f.endsWith('.yaml'))) {
      const path = join(seeds, name);
      const applied = await k('apply', '-f', path);
      expect(applied.code, `${name}: ${applied.stderr}`).toBe(0);
      for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
        const manifest = doc.toJS() as {
          apiVersion: string;
          kind: string;
          metadata: { name: string };
        };
        if (manifest === null) continue;
        const [group, version] = manifest.apiVersion.includes('/')
          ? manifest.apiVersion.split('/')
          : ['', manifest.apiVersion];
        const kind = manifest.kind.toLowerCase();
        const resource = group === '' ? kind : `${kind}.${version}.${group}`;
        const read = await k('get', resource, manifest.metadata.name, '-o', 'json');
        expect(read.code, `${name}: ${read.stderr}`).toBe(0);
        const live = JSON.parse(read.stdout) as Record<string, unknown>;
        const { metadata, ...body } = manifest as unknown as Record<string, unknown>;
        expect(live, name).toMatchObject(body);
        expect(live.metadata, name).toMatchObject(metadata as object);
      }
      const deleted = await k('delete', '-f', path);
      expect(deleted.code, `${name}: ${deleted.stderr}`).toBe(0);
      expect(deleted.stdout, name).toMatch(/ deleted$/m);
    }
  });

  it('serves extensions/v1beta1 Ingress as deprecated, stored as networking.k8s.io/v1', async () => {
    const path = join(seeds, 'ingress-extensions-v1beta1.yaml');
    const r = await k('apply', '-f', path);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Warning: extensions/v1beta1 Ingress is deprecated');
    const v1 = await k('get', 'ingresses.v1.networking.k8s.io', 'ingress', '-o', 'json');
    const ing = JSON.parse(v1.stdout);
    expect(ing.apiVersion).toBe('networking.k8s.io/v1');
    expect(ing.spec.rules[0].http.paths[0].backend.service).toEqual({
      name: 'service1',
      port: { number: 80 },
    });
    await k('delete', '-f', path);
  });

  it('bad input: the right Status, exit 1, nothing stored', async () => {
    const before = await snapshot();
    const unknown = await k(
      'create',
      '-f',
      file('bad-field.yaml', demoPod('bad1', '  bogus: true\n')),
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Error from server (BadRequest)');
    expect(unknown.stderr).toContain('strict decoding error: unknown field "spec.bogus"');
    const deployment = readFileSync(join(seeds, 'nginx-deployment.yaml'), 'utf8');
    await k('apply', '-f', join(seeds, 'nginx-deployment.yaml'));
    const before2 = await snapshot();
    const patched = await k(
      'apply',
      '-f',
      file('bad-apply.yaml', deployment.replace(/^spec:$/m, 'spec:\n  bogus: 1')),
    );
    expect(patched.code).toBe(1);
    expect(patched.stderr).toContain('strict decoding error: unknown field "spec.bogus"');
    expect(await snapshot()).toBe(before2);
    await k('delete', '-f', join(seeds, 'nginx-deployment.yaml'));
    const invalid = await k('create', '-f', file('bad-name.yaml', demoPod('Bad_Name')));
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain(
      'The Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"',
    );
    const nsMissing = await k(
      'create',
      '-n',
      'nowhere',
      '-f',
      file('pod-ns.yaml', demoPod('pod-ns')),
    );
    expect(nsMissing.code).toBe(1);
    expect(nsMissing.stderr).toContain('Error from server (NotFound)');
    expect(nsMissing.stderr).toContain('namespaces "nowhere" not found');
    const scaleBad = await k('scale', 'deployment', 'nobody', '--replicas=2');
    expect(scaleBad.code).toBe(1);
    // kubectl's scale folds the NotFound Status message into its own error line.
    expect(scaleBad.stderr).toContain(
      'error: no objects passed to scale deployments.apps "nobody" not found',
    );
    expect(await snapshot()).toBe(before);
  });
});
