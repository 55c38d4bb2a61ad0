import { describe, expect, it } from 'vitest';
import { builtinKindRegistry } from '../builtin-kinds.ts';
import type { KubeObject } from '../meta.ts';
import { sampleObjects } from '../samples.ts';
import { formatFieldError } from './field-error.ts';

const registry = builtinKindRegistry();
// biome-ignore lint/suspicious/noExplicitAny: samples are changed freely
type Obj = Record<string, any>;

function sample(kind: string): Obj {
  const make = sampleObjects[kind];
  if (make === undefined) throw new Error(`no sample of ${kind}`);
  return make();
}

function check(kind: string, mutate: (o: Obj) => void): string[] {
  const obj = sample(kind);
  mutate(obj);
  const def = registry.get(obj.apiVersion, obj.kind);
  if (def === undefined) throw new Error(`${obj.kind} is not registered`);
  return def.validate(def.default(obj as KubeObject)).map(formatFieldError);
}

const t0 = (o: Obj) => o.spec.template.spec.containers[0];

describe('workload rules', () => {
  it.each<[string, string, (o: Obj) => void, string]>([
    [
      'deployment',
      'Deployment',
      (o) => {
        o.spec.selector = { matchLabels: { app: 'db' } };
      },
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    ],
    [
      'deployment',
      'Deployment',
      (o) => {
        o.spec.selector = {};
      },
      'spec.selector: Invalid value: {}: empty selector is invalid for deployment',
    ],
    [
      'deployment',
      'Deployment',
      (o) => {
        o.spec.selector = undefined;
      },
      'spec.selector: Required value',
    ],
    [
      'deployment',
      'Deployment',
      (o) => {
        o.spec.replicas = -1;
      },
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    ],
    [
      'deployment',
      'Deployment',
      (o) => {
        o.spec.template.spec.restartPolicy = 'Never';
      },
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ],
    [
      'deployment',
      'Deployment',
      (o) => {
        o.spec.strategy = { type: 'Blue' };
      },
      'spec.strategy.type: Unsupported value: "Blue"',
    ],
    [
      'deployment',
      'Deployment',
      (o) => {
        o.spec.strategy = { rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } };
      },
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0',
    ],
    [
      'deployment',
      'Deployment',
      (o) => {
        o.spec.strategy = { rollingUpdate: { maxSurge: 'lots' } };
      },
      'spec.strategy.rollingUpdate.maxSurge: Invalid value: "lots": a valid percent string',
    ],
    [
      'deployment',
      'Deployment',
      (o) => {
        t0(o).name = '';
      },
      'spec.template.spec.containers[0].name: Required value',
    ],
    [
      'statefulset',
      'StatefulSet',
      (o) => {
        o.spec.podManagementPolicy = 'Random';
      },
      'spec.podManagementPolicy: Unsupported value: "Random"',
    ],
    [
      'daemonset',
      'DaemonSet',
      (o) => {
        o.spec.updateStrategy = { type: 'Now' };
      },
      'spec.updateStrategy.type: Unsupported value: "Now"',
    ],
    [
      'job',
      'Job',
      (o) => {
        o.spec.template.spec.restartPolicy = undefined;
      },
      'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    ],
    [
      'job',
      'Job',
      (o) => {
        o.spec.backoffLimit = -1;
      },
      'spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0',
    ],
    [
      'cronjob',
      'CronJob',
      (o) => {
        o.spec.schedule = 'every minute';
      },
      'spec.schedule: Invalid value: "every minute"',
    ],
    [
      'cronjob',
      'CronJob',
      (o) => {
        o.spec.schedule = '@hourly';
      },
      '',
    ],
    [
      'cronjob',
      'CronJob',
      (o) => {
        o.spec.concurrencyPolicy = 'Sometimes';
      },
      'spec.concurrencyPolicy: Unsupported value: "Sometimes"',
    ],
    [
      'hpa',
      'HorizontalPodAutoscaler',
      (o) => {
        o.spec.maxReplicas = 0;
      },
      'spec.maxReplicas: Invalid value: 0: must be greater than 0',
    ],
    [
      'hpa',
      'HorizontalPodAutoscaler',
      (o) => {
        o.spec.minReplicas = 6;
      },
      'spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`',
    ],
    [
      'hpa',
      'HorizontalPodAutoscaler',
      (o) => {
        o.spec.metrics = [{ type: 'Resource' }];
      },
      'spec.metrics[0].resource: Required value',
    ],
  ])('%s: %s %#', (_area, kind, mutate, expected) => {
    const errors = check(kind, mutate);
    if (expected === '') expect(errors).toEqual([]);
    else
      expect(
        errors.some((e) => e.includes(expected)),
        `${expected}\n in ${JSON.stringify(errors, null, 1)}`,
      ).toBe(true);
  });
});
