import { describe, expect, it } from 'vitest';
import { Deployment } from '../apps/workloads.ts';
import { Pod } from '../core/pod.ts';
import { formatFieldError } from './field-error.ts';
import { decodeAgainst, schemaErrors } from './schema-check.ts';

describe('decodeAgainst', () => {
  it('lists every unknown field with its path and prunes them', () => {
    const input = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: { a: 'b' }, bogus: 1 },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'i',
            imagePullPolice: 'Always',
            ports: [{ containerPort: 80, prot: 'TCP' }],
          },
        ],
        extra: true,
      },
      stauts: {},
    };
    const r = decodeAgainst(Pod, input);
    expect(r.unknownFields).toEqual([
      'metadata.bogus',
      'spec.containers[0].imagePullPolice',
      'spec.containers[0].ports[0].prot',
      'spec.extra',
      'stauts',
    ]);
    expect(r.value).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: { a: 'b' } },
      spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }] }] },
    });
    expect(input.metadata.bogus).toBe(1);
  });

  it('drops null-valued fields as Kubernetes does (kubectl sends creationTimestamp: null)', () => {
    const r = decodeAgainst(Deployment, {
      metadata: { name: 'd', creationTimestamp: null },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: {
          metadata: { creationTimestamp: null, labels: { a: 'b' } },
          spec: { containers: [{ name: 'c', image: 'i', resources: {} }] },
        },
      },
      status: {},
    });
    expect(r.unknownFields).toEqual([]);
    expect(schemaErrors(Deployment, r.value)).toEqual([]);
    expect((r.value as { metadata: object }).metadata).toEqual({ name: 'd' });
  });

  it('keeps free-form managedFields as they are', () => {
    const mf = [{ manager: 'kubectl', fieldsV1: { 'f:metadata': {} } }];
    const r = decodeAgainst(Pod, { metadata: { managedFields: mf } });
    expect(r.unknownFields).toEqual([]);
    expect((r.value as { metadata: { managedFields: unknown } }).metadata.managedFields).toEqual(
      mf,
    );
  });
});

describe('schemaErrors', () => {
  it.each([
    [{ spec: { containers: [{ image: 'x' }] } }, 'spec.containers[0].name: Required value'],
    [{ spec: { containers: 'x' } }, 'spec.containers: Invalid value: "x": must be of type array'],
    [
      { spec: { containers: [], terminationGracePeriodSeconds: 'ten' } },
      'spec.terminationGracePeriodSeconds: Invalid value: "ten": must be of type integer',
    ],
    [
      { spec: { containers: [], hostNetwork: 'yes' } },
      'spec.hostNetwork: Invalid value: "yes": must be of type boolean',
    ],
    [
      { metadata: { labels: { a: 1 } } },
      'metadata.labels[a]: Invalid value: 1: must be of type string',
    ],
    [
      { metadata: { creationTimestamp: 'yesterday' } },
      'metadata.creationTimestamp: Invalid value: "yesterday": must be an RFC 3339 timestamp',
    ],
    [
      { spec: { containers: [{ name: 'c', livenessProbe: { httpGet: { port: true } } }] } },
      'spec.containers[0].livenessProbe.httpGet.port: Invalid value: true: must be an integer or a string',
    ],
    [
      { spec: { containers: [{ name: 'c', resources: { limits: { cpu: [] } } }] } },
      'spec.containers[0].resources.limits[cpu]: Invalid value: []: must be a quantity (a string or a number)',
    ],
  ])('%j', (value, message) => {
    expect(schemaErrors(Pod, value).map(formatFieldError)).toContain(message);
  });

  it('accepts a well-formed pod', () => {
    expect(
      schemaErrors(Pod, {
        metadata: { name: 'p', creationTimestamp: '2024-01-01T00:00:00Z' },
        spec: {
          containers: [
            {
              name: 'c',
              image: 'i',
              ports: [{ containerPort: 80 }],
              resources: { limits: { cpu: 1, memory: '1Gi' } },
            },
          ],
        },
      }),
    ).toEqual([]);
  });
});

describe('legacy volume types', () => {
  it('decodes an in-tree cloud volume and counts it as the volume source', () => {
    const r = decodeAgainst(Pod, {
      spec: {
        containers: [],
        volumes: [{ name: 'd', gcePersistentDisk: { pdName: 'x', fsType: 'ext4' } }],
      },
    });
    expect(r.unknownFields).toEqual([]);
    expect(schemaErrors(Pod, r.value)).toEqual([]);
  });
});
