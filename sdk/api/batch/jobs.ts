import type { Static } from '@sinclair/typebox';
import { PodTemplateSpec } from '../core/pod.ts';
import { ObjectReference } from '../core/service.ts';
import { LabelSelector, ObjectMeta, TypeMeta } from '../meta.ts';
import { arr, bool, int, obj, opt, str, Time } from '../schema-kit.ts';

const PodFailurePolicyRule = obj({
  action: str(),
  onExitCodes: opt(obj({ containerName: opt(str()), operator: str(), values: arr(int()) })),
  onPodConditions: opt(arr(obj({ type: str(), status: str() }))),
});

/** JobSpec is the desired state of a job. */
export const JobSpec = obj({
  parallelism: opt(int()),
  completions: opt(int()),
  activeDeadlineSeconds: opt(int()),
  podFailurePolicy: opt(obj({ rules: arr(PodFailurePolicyRule) })),
  successPolicy: opt(
    obj({
      rules: arr(obj({ succeededIndexes: opt(str()), succeededCount: opt(int()) })),
    }),
  ),
  backoffLimit: opt(int()),
  backoffLimitPerIndex: opt(int()),
  maxFailedIndexes: opt(int()),
  selector: opt(LabelSelector),
  manualSelector: opt(bool()),
  template: PodTemplateSpec,
  ttlSecondsAfterFinished: opt(int()),
  completionMode: opt(str()),
  suspend: opt(bool()),
  podReplacementPolicy: opt(str()),
  managedBy: opt(str()),
});
export type JobSpec = Static<typeof JobSpec>;

/** JobStatus is the observed state of a job. */
export const JobStatus = obj({
  conditions: opt(
    arr(
      obj({
        type: str(),
        status: str(),
        lastProbeTime: opt(Time),
        lastTransitionTime: opt(Time),
        reason: opt(str()),
        message: opt(str()),
      }),
    ),
  ),
  startTime: opt(Time),
  completionTime: opt(Time),
  active: opt(int()),
  succeeded: opt(int()),
  failed: opt(int()),
  terminating: opt(int()),
  completedIndexes: opt(str()),
  failedIndexes: opt(str()),
  uncountedTerminatedPods: opt(obj({ succeeded: opt(arr(str())), failed: opt(arr(str())) })),
  ready: opt(int()),
});

/** Job runs pods until a number of them succeed. */
export const Job = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(JobSpec),
  status: opt(JobStatus),
});
export type Job = Static<typeof Job>;

/** CronJob creates Jobs on a schedule. */
export const CronJob = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(
    obj({
      schedule: str(),
      timeZone: opt(str()),
      startingDeadlineSeconds: opt(int()),
      concurrencyPolicy: opt(str()),
      suspend: opt(bool()),
      jobTemplate: obj({ metadata: opt(ObjectMeta), spec: opt(JobSpec) }),
      successfulJobsHistoryLimit: opt(int()),
      failedJobsHistoryLimit: opt(int()),
    }),
  ),
  status: opt(
    obj({
      active: opt(arr(ObjectReference)),
      lastScheduleTime: opt(Time),
      lastSuccessfulTime: opt(Time),
    }),
  ),
});
export type CronJob = Static<typeof CronJob>;
