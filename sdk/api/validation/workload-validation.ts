import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from '../apps/workloads.ts';
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerV1 } from '../autoscaling/hpa.ts';
import type { CronJob, Job, JobSpec } from '../batch/jobs.ts';
import type { PodTemplateSpec } from '../core/pod.ts';
import type { ReplicationController } from '../core/replication-controller.ts';
import type { LabelSelector } from '../meta.ts';
import { labelSelectorFromSpec, matchesLabels } from '../selectors/label-selector.ts';
import { intOrPercent, isZeroIntOrPercent, nonNegative, oneOf, positive } from './common.ts';
import { cronScheduleProblem } from './cron.ts';
import { type FieldError, fieldPath, invalid, required } from './field-error.ts';
import { validateLabelSelector, validateLabels } from './meta-validation.ts';
import { validatePodTemplate } from './pod-validation.ts';

const always = ['Always'];

/** validateSelectorMatchesTemplate checks a required, non-empty selector that selects the template. */
export function validateSelectorMatchesTemplate(
  selector: LabelSelector | undefined,
  template: PodTemplateSpec | undefined,
  path: string,
): FieldError[] {
  const selPath = fieldPath(path, 'selector');
  if (selector === undefined) return [required(selPath)];
  const out = validateLabelSelector(selector, selPath);
  const empty =
    Object.keys(selector.matchLabels ?? {}).length === 0 &&
    (selector.matchExpressions ?? []).length === 0;
  if (empty) out.push(invalid(selPath, selector, 'empty selector is invalid for deployment'));
  const parsed = labelSelectorFromSpec(selector);
  if (
    !empty &&
    parsed.ok &&
    template !== undefined &&
    !matchesLabels(parsed.selector, template.metadata?.labels ?? {})
  )
    out.push(
      invalid(
        fieldPath(path, 'template', 'metadata', 'labels'),
        template.metadata?.labels ?? {},
        '`selector` does not match template `labels`',
      ),
    );
  return out;
}

/** validateDeployment checks an apps/v1 Deployment's spec. */
export function validateDeployment(d: Deployment): FieldError[] {
  const spec = d.spec;
  if (spec === undefined) return [required('spec')];
  const out = validateSelectorMatchesTemplate(spec.selector, spec.template, 'spec');
  out.push(...validatePodTemplate(spec.template, 'spec.template', { restartPolicies: always }));
  out.push(...nonNegative('spec.replicas', spec.replicas));
  out.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  out.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  const strategy = spec.strategy;
  out.push(...oneOf('spec.strategy.type', strategy?.type, ['Recreate', 'RollingUpdate']));
  const ru = strategy?.rollingUpdate;
  if (strategy?.type === 'Recreate' && ru !== undefined)
    out.push(
      invalid(
        'spec.strategy.rollingUpdate',
        ru,
        "may not be specified when strategy `type` is 'Recreate'",
      ),
    );
  if (ru !== undefined && strategy?.type !== 'Recreate') {
    out.push(...intOrPercent('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable));
    out.push(...intOrPercent('spec.strategy.rollingUpdate.maxSurge', ru.maxSurge));
    if (isZeroIntOrPercent(ru.maxUnavailable) && isZeroIntOrPercent(ru.maxSurge))
      out.push(
        invalid(
          'spec.strategy.rollingUpdate.maxUnavailable',
          ru.maxUnavailable ?? 0,
          'may not be 0 when `maxSurge` is 0',
        ),
      );
  }
  if (spec.progressDeadlineSeconds !== undefined) {
    out.push(...nonNegative('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0))
      out.push(
        invalid(
          'spec.progressDeadlineSeconds',
          spec.progressDeadlineSeconds,
          'must be greater than minReadySeconds',
        ),
      );
  }
  return out;
}

/** validateReplicaSet checks an apps/v1 ReplicaSet's spec. */
export function validateReplicaSet(rs: ReplicaSet): FieldError[] {
  const spec = rs.spec;
  if (spec === undefined) return [required('spec')];
  const out = validateSelectorMatchesTemplate(spec.selector, spec.template, 'spec');
  if (spec.template !== undefined)
    out.push(...validatePodTemplate(spec.template, 'spec.template', { restartPolicies: always }));
  out.push(...nonNegative('spec.replicas', spec.replicas));
  out.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  return out;
}

/** validateDaemonSet checks an apps/v1 DaemonSet's spec. */
export function validateDaemonSet(ds: DaemonSet): FieldError[] {
  const spec = ds.spec;
  if (spec === undefined) return [required('spec')];
  const out = validateSelectorMatchesTemplate(spec.selector, spec.template, 'spec');
  out.push(...validatePodTemplate(spec.template, 'spec.template', { restartPolicies: always }));
  out.push(
    ...oneOf('spec.updateStrategy.type', spec.updateStrategy?.type, ['OnDelete', 'RollingUpdate']),
  );
  const ru = spec.updateStrategy?.rollingUpdate;
  if (ru !== undefined && spec.updateStrategy?.type === 'RollingUpdate') {
    out.push(
      ...intOrPercent('spec.updateStrategy.rollingUpdate.maxUnavailable', ru.maxUnavailable),
    );
    out.push(...intOrPercent('spec.updateStrategy.rollingUpdate.maxSurge', ru.maxSurge));
    if (isZeroIntOrPercent(ru.maxUnavailable) && isZeroIntOrPercent(ru.maxSurge))
      out.push(
        invalid(
          'spec.updateStrategy.rollingUpdate.maxUnavailable',
          ru.maxUnavailable ?? 0,
          'may not be 0 when `maxSurge` is 0',
        ),
      );
  }
  out.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  out.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  return out;
}

/** validateStatefulSet checks an apps/v1 StatefulSet's spec. */
export function validateStatefulSet(sts: StatefulSet): FieldError[] {
  const spec = sts.spec;
  if (spec === undefined) return [required('spec')];
  const out = validateSelectorMatchesTemplate(spec.selector, spec.template, 'spec');
  const claims = (spec.volumeClaimTemplates ?? []).map((c) => c.metadata?.name ?? '');
  out.push(
    ...validatePodTemplate(spec.template, 'spec.template', {
      restartPolicies: always,
      extraVolumes: claims,
    }),
  );
  out.push(...nonNegative('spec.replicas', spec.replicas));
  out.push(
    ...oneOf('spec.podManagementPolicy', spec.podManagementPolicy, ['OrderedReady', 'Parallel']),
  );
  out.push(
    ...oneOf('spec.updateStrategy.type', spec.updateStrategy?.type, ['OnDelete', 'RollingUpdate']),
  );
  out.push(
    ...nonNegative(
      'spec.updateStrategy.rollingUpdate.partition',
      spec.updateStrategy?.rollingUpdate?.partition,
    ),
  );
  const policy = spec.persistentVolumeClaimRetentionPolicy;
  out.push(
    ...oneOf('spec.persistentVolumeClaimRetentionPolicy.whenDeleted', policy?.whenDeleted, [
      'Delete',
      'Retain',
    ]),
  );
  out.push(
    ...oneOf('spec.persistentVolumeClaimRetentionPolicy.whenScaled', policy?.whenScaled, [
      'Delete',
      'Retain',
    ]),
  );
  (spec.volumeClaimTemplates ?? []).forEach((claim, i) => {
    const p = fieldPath('spec.volumeClaimTemplates', i);
    if ((claim.metadata?.name ?? '') === '') out.push(required(fieldPath(p, 'metadata', 'name')));
    if ((claim.spec?.accessModes ?? []).length === 0)
      out.push(required(fieldPath(p, 'spec', 'accessModes')));
  });
  out.push(...nonNegative('spec.ordinals.start', spec.ordinals?.start));
  return out;
}

/** validateReplicationController checks a v1 ReplicationController's spec. */
export function validateReplicationController(rc: ReplicationController): FieldError[] {
  const spec = rc.spec;
  if (spec === undefined) return [required('spec')];
  const out: FieldError[] = [];
  const selector = spec.selector ?? {};
  if (Object.keys(selector).length === 0) out.push(required('spec.selector'));
  out.push(...validateLabels(selector, 'spec.selector'));
  const labels = spec.template?.metadata?.labels ?? {};
  if (Object.entries(selector).some(([k, v]) => labels[k] !== v))
    out.push(
      invalid(
        'spec.template.metadata.labels',
        labels,
        '`selector` does not match template `labels`',
      ),
    );
  if (spec.template !== undefined)
    out.push(...validatePodTemplate(spec.template, 'spec.template', { restartPolicies: always }));
  out.push(...nonNegative('spec.replicas', spec.replicas));
  return out;
}

function validateJobSpec(spec: JobSpec | undefined, path: string): FieldError[] {
  if (spec === undefined) return [required(path)];
  const out = validatePodTemplate(spec.template, fieldPath(path, 'template'), {
    restartPolicies: ['OnFailure', 'Never'],
  });
  // The selector is generated from the job's uid unless manualSelector is set.
  if (spec.manualSelector === true)
    out.push(...validateSelectorMatchesTemplate(spec.selector, spec.template, path));
  else if (spec.selector !== undefined)
    out.push(...validateLabelSelector(spec.selector, fieldPath(path, 'selector')));
  out.push(...nonNegative(fieldPath(path, 'parallelism'), spec.parallelism));
  out.push(...nonNegative(fieldPath(path, 'completions'), spec.completions));
  out.push(...nonNegative(fieldPath(path, 'backoffLimit'), spec.backoffLimit));
  out.push(...positive(fieldPath(path, 'activeDeadlineSeconds'), spec.activeDeadlineSeconds));
  out.push(
    ...nonNegative(fieldPath(path, 'ttlSecondsAfterFinished'), spec.ttlSecondsAfterFinished),
  );
  out.push(
    ...oneOf(fieldPath(path, 'completionMode'), spec.completionMode, ['Indexed', 'NonIndexed']),
  );
  if (spec.completionMode === 'Indexed' && spec.completions === undefined)
    out.push(required(fieldPath(path, 'completions'), 'when completion mode is Indexed'));
  out.push(
    ...oneOf(fieldPath(path, 'podReplacementPolicy'), spec.podReplacementPolicy, [
      'Failed',
      'TerminatingOrFailed',
    ]),
  );
  return out;
}

/** validateJob checks a batch/v1 Job's spec. */
export function validateJob(job: Job): FieldError[] {
  return validateJobSpec(job.spec, 'spec');
}

/** validateCronJob checks a batch/v1 CronJob's spec. */
export function validateCronJob(cj: CronJob): FieldError[] {
  const spec = cj.spec;
  if (spec === undefined) return [required('spec')];
  const out: FieldError[] = [];
  if (spec.schedule === '') out.push(required('spec.schedule'));
  else {
    const problem = cronScheduleProblem(spec.schedule);
    if (problem !== undefined) out.push(invalid('spec.schedule', spec.schedule, problem));
  }
  out.push(
    ...oneOf('spec.concurrencyPolicy', spec.concurrencyPolicy, ['Allow', 'Forbid', 'Replace']),
  );
  out.push(...nonNegative('spec.startingDeadlineSeconds', spec.startingDeadlineSeconds));
  out.push(...nonNegative('spec.successfulJobsHistoryLimit', spec.successfulJobsHistoryLimit));
  out.push(...nonNegative('spec.failedJobsHistoryLimit', spec.failedJobsHistoryLimit));
  out.push(
    ...validateLabels(spec.jobTemplate?.metadata?.labels, 'spec.jobTemplate.metadata.labels'),
  );
  out.push(...validateJobSpec(spec.jobTemplate?.spec, 'spec.jobTemplate.spec'));
  return out;
}

function validateScaleBounds(spec: {
  scaleTargetRef: { kind: string; name: string };
  minReplicas?: number;
  maxReplicas: number;
}): FieldError[] {
  const out: FieldError[] = [];
  if (spec.scaleTargetRef.kind === '') out.push(required('spec.scaleTargetRef.kind'));
  if (spec.scaleTargetRef.name === '') out.push(required('spec.scaleTargetRef.name'));
  out.push(...positive('spec.minReplicas', spec.minReplicas));
  if (spec.maxReplicas < 1)
    out.push(invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than 0'));
  if (spec.minReplicas !== undefined && spec.maxReplicas < spec.minReplicas)
    out.push(
      invalid(
        'spec.maxReplicas',
        spec.maxReplicas,
        'must be greater than or equal to `minReplicas`',
      ),
    );
  return out;
}

/** validateHpa checks an autoscaling/v2 HorizontalPodAutoscaler's spec. */
export function validateHpa(hpa: HorizontalPodAutoscaler): FieldError[] {
  const spec = hpa.spec;
  if (spec === undefined) return [required('spec')];
  const out = validateScaleBounds(spec);
  const types = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
  (spec.metrics ?? []).forEach((m, i) => {
    const p = fieldPath('spec.metrics', i);
    out.push(...oneOf(fieldPath(p, 'type'), m.type, types));
    const field = m.type === 'ContainerResource' ? 'containerResource' : m.type.toLowerCase();
    if (types.includes(m.type) && (m as Record<string, unknown>)[field] === undefined)
      out.push(
        required(fieldPath(p, field), `must populate information for the given metric source`),
      );
    const target =
      m.resource?.target ??
      m.containerResource?.target ??
      m.pods?.target ??
      m.object?.target ??
      m.external?.target;
    const tp = fieldPath(p, field, 'target');
    if (target !== undefined) {
      out.push(
        ...oneOf(fieldPath(tp, 'type'), target.type, ['AverageValue', 'Utilization', 'Value']),
      );
      out.push(...positive(fieldPath(tp, 'averageUtilization'), target.averageUtilization));
    }
  });
  for (const dir of ['scaleUp', 'scaleDown'] as const) {
    const rules = spec.behavior?.[dir];
    const p = fieldPath('spec.behavior', dir);
    out.push(
      ...oneOf(fieldPath(p, 'selectPolicy'), rules?.selectPolicy, ['Disabled', 'Max', 'Min']),
    );
    out.push(
      ...nonNegative(fieldPath(p, 'stabilizationWindowSeconds'), rules?.stabilizationWindowSeconds),
    );
    (rules?.policies ?? []).forEach((pol, i) => {
      out.push(...oneOf(fieldPath(p, 'policies', i, 'type'), pol.type, ['Percent', 'Pods']));
      out.push(...positive(fieldPath(p, 'policies', i, 'value'), pol.value));
      out.push(...positive(fieldPath(p, 'policies', i, 'periodSeconds'), pol.periodSeconds));
    });
  }
  return out;
}

/** validateHpaV1 checks an autoscaling/v1 HorizontalPodAutoscaler's spec. */
export function validateHpaV1(hpa: HorizontalPodAutoscalerV1): FieldError[] {
  const spec = hpa.spec;
  if (spec === undefined) return [required('spec')];
  const out = validateScaleBounds(spec);
  out.push(...positive('spec.targetCPUUtilizationPercentage', spec.targetCPUUtilizationPercentage));
  return out;
}
