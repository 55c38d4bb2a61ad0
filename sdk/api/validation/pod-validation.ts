import type { PodSpec, PodTemplateSpec } from '../core/pod.ts';
import { volumeSourceNames } from '../core/volume.ts';
import { nonNegative, oneOf, positive, validateRequestsWithinLimits } from './common.ts';
import { validateContainer } from './container-validation.ts';
import {
  duplicate,
  type FieldError,
  fieldPath,
  forbidden,
  invalid,
  notSupported,
  required,
} from './field-error.ts';
import { validateLabelSelector, validateLabels } from './meta-validation.ts';
import { isDnsLabel, isDnsSubdomain, isQualifiedName } from './names.ts';

const restartPolicies = ['Always', 'Never', 'OnFailure'];
const dnsPolicies = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
const taintEffects = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];
const nodeSelectorOps = ['DoesNotExist', 'Exists', 'Gt', 'In', 'Lt', 'NotIn'];

function validateVolumes(spec: PodSpec, path: string, out: FieldError[]): Set<string> {
  const names = new Set<string>();
  (spec.volumes ?? []).forEach((v, i) => {
    const p = fieldPath(path, 'volumes', i);
    if (v.name === '') out.push(required(fieldPath(p, 'name')));
    else {
      for (const m of isDnsLabel(v.name)) out.push(invalid(fieldPath(p, 'name'), v.name, m));
      if (names.has(v.name)) out.push(duplicate(fieldPath(p, 'name'), v.name));
      names.add(v.name);
    }
    const sources = volumeSourceNames.filter(
      (k) => (v as Record<string, unknown>)[k] !== undefined,
    );
    if (sources.length === 0) out.push(required(p, 'must specify a volume type'));
    else if (sources.length > 1)
      out.push(
        forbidden(fieldPath(p, sources[1] ?? ''), 'may not specify more than 1 volume type'),
      );
    if (v.hostPath !== undefined && v.hostPath.path === '')
      out.push(required(fieldPath(p, 'hostPath', 'path')));
    if (v.hostPath !== undefined)
      out.push(
        ...oneOf(fieldPath(p, 'hostPath', 'type'), v.hostPath.type, [
          '',
          'DirectoryOrCreate',
          'Directory',
          'FileOrCreate',
          'File',
          'Socket',
          'CharDevice',
          'BlockDevice',
        ]),
      );
    if (v.persistentVolumeClaim !== undefined && v.persistentVolumeClaim.claimName === '')
      out.push(required(fieldPath(p, 'persistentVolumeClaim', 'claimName')));
    if (v.emptyDir !== undefined)
      out.push(
        ...oneOf(fieldPath(p, 'emptyDir', 'medium'), v.emptyDir.medium, [
          '',
          'Memory',
          'HugePages',
        ]),
      );
    for (const key of ['secret', 'configMap', 'downwardAPI', 'projected'] as const) {
      const mode = v[key]?.defaultMode;
      if (mode !== undefined && (mode < 0 || mode > 0o777))
        out.push(
          invalid(
            fieldPath(p, key, 'defaultMode'),
            mode,
            'must be a number between 0 and 0777 (octal), both inclusive',
          ),
        );
    }
  });
  return names;
}

function validateTolerations(spec: PodSpec, path: string, out: FieldError[]): void {
  (spec.tolerations ?? []).forEach((t, i) => {
    const p = fieldPath(path, 'tolerations', i);
    if (t.key !== undefined && t.key !== '')
      for (const m of isQualifiedName(t.key)) out.push(invalid(fieldPath(p, 'key'), t.key, m));
    const op = t.operator ?? 'Equal';
    if (op !== 'Equal' && op !== 'Exists')
      out.push(notSupported(fieldPath(p, 'operator'), op, ['Equal', 'Exists']));
    if ((t.key ?? '') === '' && op !== 'Exists')
      out.push(
        invalid(
          fieldPath(p, 'operator'),
          op,
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    if (op === 'Exists' && (t.value ?? '') !== '')
      out.push(
        invalid(
          fieldPath(p, 'operator'),
          t.value,
          "value must be empty when `operator` is 'Exists'",
        ),
      );
    if (t.effect !== undefined && t.effect !== '')
      out.push(...oneOf(fieldPath(p, 'effect'), t.effect, taintEffects));
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute')
      out.push(
        invalid(
          fieldPath(p, 'effect'),
          t.effect ?? '',
          "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
      );
  });
}

function validateAffinity(spec: PodSpec, path: string, out: FieldError[]): void {
  const terms =
    spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  const base = fieldPath(
    path,
    'affinity',
    'nodeAffinity',
    'requiredDuringSchedulingIgnoredDuringExecution',
    'nodeSelectorTerms',
  );
  if (terms !== undefined && terms.length === 0)
    out.push(required(base, 'must have at least one node selector term'));
  (terms ?? []).forEach((term, i) => {
    (term.matchExpressions ?? []).forEach((req, j) => {
      const p = fieldPath(base, i, 'matchExpressions', j);
      out.push(...oneOf(fieldPath(p, 'operator'), req.operator, nodeSelectorOps));
      const n = req.values?.length ?? 0;
      if ((req.operator === 'In' || req.operator === 'NotIn') && n === 0)
        out.push(
          required(fieldPath(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"),
        );
      if ((req.operator === 'Exists' || req.operator === 'DoesNotExist') && n > 0)
        out.push(
          forbidden(
            fieldPath(p, 'values'),
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          ),
        );
      if ((req.operator === 'Gt' || req.operator === 'Lt') && n !== 1)
        out.push(
          required(
            fieldPath(p, 'values'),
            "must be specified single value when `operator` is 'Lt' or 'Gt'",
          ),
        );
    });
  });
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const a = spec.affinity?.[kind];
    (a?.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((term, i) => {
      const p = fieldPath(
        path,
        'affinity',
        kind,
        'requiredDuringSchedulingIgnoredDuringExecution',
        i,
      );
      if (term.topologyKey === '')
        out.push(required(fieldPath(p, 'topologyKey'), 'can not be empty'));
      out.push(...validateLabelSelector(term.labelSelector, fieldPath(p, 'labelSelector')));
    });
    (a?.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((w, i) => {
      const p = fieldPath(
        path,
        'affinity',
        kind,
        'preferredDuringSchedulingIgnoredDuringExecution',
        i,
      );
      if (w.weight < 1 || w.weight > 100)
        out.push(invalid(fieldPath(p, 'weight'), w.weight, 'must be in the range 1-100'));
    });
  }
}

function validateSpread(spec: PodSpec, path: string, out: FieldError[]): void {
  (spec.topologySpreadConstraints ?? []).forEach((c, i) => {
    const p = fieldPath(path, 'topologySpreadConstraints', i);
    out.push(...positive(fieldPath(p, 'maxSkew'), c.maxSkew));
    if (c.topologyKey === '') out.push(required(fieldPath(p, 'topologyKey'), 'can not be empty'));
    out.push(
      ...oneOf(fieldPath(p, 'whenUnsatisfiable'), c.whenUnsatisfiable, [
        'DoNotSchedule',
        'ScheduleAnyway',
      ]),
    );
    out.push(...positive(fieldPath(p, 'minDomains'), c.minDomains));
    out.push(
      ...oneOf(fieldPath(p, 'nodeAffinityPolicy'), c.nodeAffinityPolicy, ['Honor', 'Ignore']),
    );
    out.push(...oneOf(fieldPath(p, 'nodeTaintsPolicy'), c.nodeTaintsPolicy, ['Honor', 'Ignore']));
    out.push(...validateLabelSelector(c.labelSelector, fieldPath(p, 'labelSelector')));
  });
}

/** PodSpecRules narrow what a pod spec may say in a given place (a Job allows no Always). */
export interface PodSpecRules {
  readonly restartPolicies?: readonly string[];
  /** extraVolumes are names mounts may use besides spec.volumes (StatefulSet claim templates). */
  readonly extraVolumes?: readonly string[];
}

/** validatePodSpec checks a pod spec, reporting every bad field under `path`. */
export function validatePodSpec(
  spec: PodSpec | undefined,
  path: string,
  rules: PodSpecRules = {},
): FieldError[] {
  if (spec === undefined) return [required(path)];
  const out: FieldError[] = [];
  const volumes = validateVolumes(spec, path, out);
  for (const name of rules.extraVolumes ?? []) volumes.add(name);
  const containers = spec.containers ?? [];
  if (containers.length === 0) out.push(required(fieldPath(path, 'containers')));
  const seen = new Set<string>();
  const check = (list: typeof containers, field: string) =>
    list.forEach((c, i) => {
      const p = fieldPath(path, field, i);
      out.push(...validateContainer(c, p, volumes));
      if (c.name !== '' && seen.has(c.name)) out.push(duplicate(fieldPath(p, 'name'), c.name));
      seen.add(c.name);
    });
  check(spec.initContainers ?? [], 'initContainers');
  check(containers, 'containers');
  (spec.initContainers ?? []).forEach((c, i) => {
    const p = fieldPath(path, 'initContainers', i);
    if (c.restartPolicy !== undefined && c.restartPolicy !== 'Always')
      out.push(notSupported(fieldPath(p, 'restartPolicy'), c.restartPolicy, ['Always']));
    if (c.restartPolicy !== 'Always')
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const)
        if (c[probe] !== undefined)
          out.push(
            forbidden(
              fieldPath(p, probe),
              'may not be set for init containers without restartPolicy=Always',
            ),
          );
  });
  containers.forEach((c, i) => {
    if (c.restartPolicy !== undefined)
      out.push(
        forbidden(
          fieldPath(path, 'containers', i, 'restartPolicy'),
          'may not be set for non-init containers',
        ),
      );
  });
  const allowed = rules.restartPolicies ?? restartPolicies;
  if (spec.restartPolicy === undefined) out.push(required(fieldPath(path, 'restartPolicy')));
  else if (!allowed.includes(spec.restartPolicy))
    out.push(notSupported(fieldPath(path, 'restartPolicy'), spec.restartPolicy, allowed));
  out.push(...oneOf(fieldPath(path, 'dnsPolicy'), spec.dnsPolicy, dnsPolicies));
  if (spec.dnsPolicy === 'None' && (spec.dnsConfig?.nameservers ?? []).length === 0)
    out.push(
      required(fieldPath(path, 'dnsConfig'), 'must provide `dnsConfig` when `dnsPolicy` is None'),
    );
  if ((spec.dnsConfig?.nameservers?.length ?? 0) > 3)
    out.push(
      invalid(
        fieldPath(path, 'dnsConfig', 'nameservers'),
        spec.dnsConfig?.nameservers,
        'must not have more than 3 nameservers',
      ),
    );
  out.push(
    ...nonNegative(
      fieldPath(path, 'terminationGracePeriodSeconds'),
      spec.terminationGracePeriodSeconds,
    ),
  );
  out.push(...positive(fieldPath(path, 'activeDeadlineSeconds'), spec.activeDeadlineSeconds));
  out.push(...validateLabels(spec.nodeSelector, fieldPath(path, 'nodeSelector')));
  for (const [field, value] of [
    ['serviceAccountName', spec.serviceAccountName],
    ['nodeName', spec.nodeName],
    ['runtimeClassName', spec.runtimeClassName],
    ['priorityClassName', spec.priorityClassName],
  ] as const)
    if (value !== undefined && value !== '')
      for (const m of isDnsSubdomain(value)) out.push(invalid(fieldPath(path, field), value, m));
  for (const field of ['hostname', 'subdomain'] as const) {
    const value = spec[field];
    if (value !== undefined && value !== '')
      for (const m of isDnsLabel(value)) out.push(invalid(fieldPath(path, field), value, m));
  }
  out.push(
    ...oneOf(fieldPath(path, 'preemptionPolicy'), spec.preemptionPolicy, [
      'Never',
      'PreemptLowerPriority',
    ]),
  );
  const sc = spec.securityContext;
  if (sc !== undefined) {
    out.push(...nonNegative(fieldPath(path, 'securityContext', 'runAsUser'), sc.runAsUser));
    out.push(...nonNegative(fieldPath(path, 'securityContext', 'fsGroup'), sc.fsGroup));
  }
  if (spec.resources !== undefined)
    out.push(...validateRequestsWithinLimits(spec.resources, fieldPath(path, 'resources')));
  validateTolerations(spec, path, out);
  validateAffinity(spec, path, out);
  validateSpread(spec, path, out);
  return out;
}

/** validatePodTemplate checks a workload's pod template: labels and spec. */
export function validatePodTemplate(
  template: PodTemplateSpec | undefined,
  path: string,
  rules: PodSpecRules = {},
): FieldError[] {
  if (template === undefined) return [required(path)];
  const out = validateLabels(template.metadata?.labels, fieldPath(path, 'metadata', 'labels'));
  out.push(...validatePodSpec(template.spec, fieldPath(path, 'spec'), rules));
  return out;
}
