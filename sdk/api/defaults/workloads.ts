import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from '../apps/workloads.ts';
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerV1 } from '../autoscaling/hpa.ts';
import type { CronJob, Job, JobSpec } from '../batch/jobs.ts';
import type { ReplicationController } from '../core/replication-controller.ts';
import { defaultPodTemplateInPlace } from './pod.ts';

/** defaultDeploymentInPlace applies apps/v1 Deployment defaults. */
export function defaultDeploymentInPlace(d: Deployment): void {
  const spec = d.spec;
  if (spec === undefined) return;
  spec.replicas ??= 1;
  spec.strategy ??= {};
  spec.strategy.type ??= 'RollingUpdate';
  if (spec.strategy.type === 'RollingUpdate') {
    spec.strategy.rollingUpdate ??= {};
    spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
    spec.strategy.rollingUpdate.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultPodTemplateInPlace(spec.template);
}

/** defaultReplicaSetInPlace applies apps/v1 ReplicaSet defaults. */
export function defaultReplicaSetInPlace(rs: ReplicaSet): void {
  if (rs.spec === undefined) return;
  rs.spec.replicas ??= 1;
  defaultPodTemplateInPlace(rs.spec.template);
}

/** defaultDaemonSetInPlace applies apps/v1 DaemonSet defaults. */
export function defaultDaemonSetInPlace(ds: DaemonSet): void {
  const spec = ds.spec;
  if (spec === undefined) return;
  spec.updateStrategy ??= {};
  spec.updateStrategy.type ??= 'RollingUpdate';
  if (spec.updateStrategy.type === 'RollingUpdate') {
    spec.updateStrategy.rollingUpdate ??= {};
    spec.updateStrategy.rollingUpdate.maxUnavailable ??= 1;
    spec.updateStrategy.rollingUpdate.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultPodTemplateInPlace(spec.template);
}

/** defaultStatefulSetInPlace applies apps/v1 StatefulSet defaults. */
export function defaultStatefulSetInPlace(sts: StatefulSet): void {
  const spec = sts.spec;
  if (spec === undefined) return;
  spec.replicas ??= 1;
  spec.podManagementPolicy ??= 'OrderedReady';
  spec.updateStrategy ??= {};
  spec.updateStrategy.type ??= 'RollingUpdate';
  if (spec.updateStrategy.type === 'RollingUpdate') {
    spec.updateStrategy.rollingUpdate ??= {};
    spec.updateStrategy.rollingUpdate.partition ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  spec.persistentVolumeClaimRetentionPolicy ??= {};
  spec.persistentVolumeClaimRetentionPolicy.whenDeleted ??= 'Retain';
  spec.persistentVolumeClaimRetentionPolicy.whenScaled ??= 'Retain';
  for (const claim of spec.volumeClaimTemplates ?? []) {
    if (claim.spec !== undefined) claim.spec.volumeMode ??= 'Filesystem';
  }
  defaultPodTemplateInPlace(spec.template);
}

/** defaultReplicationControllerInPlace applies v1 ReplicationController defaults. */
export function defaultReplicationControllerInPlace(rc: ReplicationController): void {
  const spec = rc.spec;
  if (spec === undefined) return;
  spec.replicas ??= 1;
  const labels = spec.template?.metadata?.labels;
  if (labels !== undefined) {
    // The selector and the controller's own labels default to the template's labels.
    if (spec.selector === undefined || Object.keys(spec.selector).length === 0)
      spec.selector = { ...labels };
    rc.metadata ??= {};
    if (rc.metadata.labels === undefined || Object.keys(rc.metadata.labels).length === 0)
      rc.metadata.labels = { ...labels };
  }
  defaultPodTemplateInPlace(spec.template);
}

function defaultJobSpecInPlace(spec: JobSpec | undefined): void {
  if (spec === undefined) return;
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex === undefined ? 6 : 2147483647;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??=
    spec.podFailurePolicy === undefined ? 'TerminatingOrFailed' : 'Failed';
  defaultPodTemplateInPlace(spec.template);
}

/** defaultJobInPlace applies batch/v1 Job defaults. */
export function defaultJobInPlace(job: Job): void {
  defaultJobSpecInPlace(job.spec);
}

/** defaultCronJobInPlace applies batch/v1 CronJob defaults. */
export function defaultCronJobInPlace(cj: CronJob): void {
  const spec = cj.spec;
  if (spec === undefined) return;
  spec.concurrencyPolicy ??= 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  // Kubernetes defaults only the pod template inside a job template, not the job spec itself.
  defaultPodTemplateInPlace(spec.jobTemplate?.spec?.template);
}

/** defaultHpaInPlace applies autoscaling/v2 defaults: one replica minimum, 80% CPU target. */
export function defaultHpaInPlace(hpa: HorizontalPodAutoscaler): void {
  const spec = hpa.spec;
  if (spec === undefined) return;
  spec.minReplicas ??= 1;
  if (spec.metrics === undefined || spec.metrics.length === 0)
    spec.metrics = [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
      },
    ];
  const behavior = spec.behavior;
  if (behavior !== undefined) {
    behavior.scaleUp ??= {};
    behavior.scaleUp.stabilizationWindowSeconds ??= 0;
    behavior.scaleUp.selectPolicy ??= 'Max';
    behavior.scaleUp.policies ??= [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ];
    behavior.scaleDown ??= {};
    behavior.scaleDown.stabilizationWindowSeconds ??= 300;
    behavior.scaleDown.selectPolicy ??= 'Max';
    behavior.scaleDown.policies ??= [{ type: 'Percent', value: 100, periodSeconds: 15 }];
  }
}

/** defaultHpaV1InPlace applies autoscaling/v1 defaults. */
export function defaultHpaV1InPlace(hpa: HorizontalPodAutoscalerV1): void {
  if (hpa.spec !== undefined) hpa.spec.minReplicas ??= 1;
}
