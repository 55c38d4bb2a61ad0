import type {
  LimitRange,
  PodDisruptionBudget,
  PodTemplate,
  PriorityClass,
  ResourceQuota,
} from '../policy/policy.ts';
import type {
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  Role,
  RoleBinding,
  Subject,
} from '../rbac/rbac.ts';
import { intOrPercent, oneOf, validateResourceList } from './common.ts';
import {
  type FieldError,
  fieldPath,
  forbidden,
  invalid,
  notSupported,
  required,
} from './field-error.ts';
import { validateLabelSelector } from './meta-validation.ts';
import { isDnsSubdomain } from './names.ts';
import { validatePodTemplate } from './pod-validation.ts';

const rbacGroup = 'rbac.authorization.k8s.io';

function validateRules(
  rules: readonly PolicyRule[] | undefined,
  namespaced: boolean,
): FieldError[] {
  const out: FieldError[] = [];
  (rules ?? []).forEach((rule, i) => {
    const p = fieldPath('rules', i);
    if (rule.verbs.length === 0)
      out.push(required(fieldPath(p, 'verbs'), 'verbs must contain at least one value'));
    const urls = rule.nonResourceURLs ?? [];
    if (urls.length > 0) {
      if (namespaced)
        out.push(
          invalid(
            fieldPath(p, 'nonResourceURLs'),
            urls,
            'namespaced rules cannot apply to non-resource URLs',
          ),
        );
      if ((rule.apiGroups ?? []).length > 0 || (rule.resources ?? []).length > 0)
        out.push(
          invalid(
            fieldPath(p, 'nonResourceURLs'),
            urls,
            'rules cannot apply to both regular resources and non-resource URLs',
          ),
        );
      return;
    }
    if ((rule.apiGroups ?? []).length === 0)
      out.push(
        required(fieldPath(p, 'apiGroups'), 'resource rules must supply at least one api group'),
      );
    if ((rule.resources ?? []).length === 0)
      out.push(
        required(fieldPath(p, 'resources'), 'resource rules must supply at least one resource'),
      );
  });
  return out;
}

/** validateRole checks a Role's rules. */
export const validateRole = (role: Role): FieldError[] => validateRules(role.rules, true);

/** validateClusterRole checks a ClusterRole's rules and aggregation selectors. */
export function validateClusterRole(role: ClusterRole): FieldError[] {
  const out = validateRules(role.rules, false);
  (role.aggregationRule?.clusterRoleSelectors ?? []).forEach((sel, i) => {
    out.push(
      ...validateLabelSelector(sel, fieldPath('aggregationRule', 'clusterRoleSelectors', i)),
    );
  });
  return out;
}

function validateSubjects(
  subjects: readonly Subject[] | undefined,
  cluster: boolean,
): FieldError[] {
  const out: FieldError[] = [];
  (subjects ?? []).forEach((s, i) => {
    const p = fieldPath('subjects', i);
    if (s.name === '') out.push(required(fieldPath(p, 'name')));
    switch (s.kind) {
      case 'ServiceAccount':
        if ((s.apiGroup ?? '') !== '')
          out.push(notSupported(fieldPath(p, 'apiGroup'), s.apiGroup, ['']));
        if (s.name !== '')
          for (const m of isDnsSubdomain(s.name))
            out.push(invalid(fieldPath(p, 'name'), s.name, m));
        if (cluster && (s.namespace ?? '') === '') out.push(required(fieldPath(p, 'namespace')));
        break;
      case 'User':
      case 'Group':
        if (s.apiGroup !== rbacGroup)
          out.push(notSupported(fieldPath(p, 'apiGroup'), s.apiGroup ?? '', [rbacGroup]));
        break;
      default:
        out.push(notSupported(fieldPath(p, 'kind'), s.kind, ['Group', 'ServiceAccount', 'User']));
    }
  });
  return out;
}

function validateRoleRef(
  ref: { apiGroup: string; kind: string; name: string },
  kinds: string[],
): FieldError[] {
  const out: FieldError[] = [];
  if (ref.apiGroup !== rbacGroup)
    out.push(notSupported('roleRef.apiGroup', ref.apiGroup, [rbacGroup]));
  if (!kinds.includes(ref.kind)) out.push(notSupported('roleRef.kind', ref.kind, kinds));
  if (ref.name === '') out.push(required('roleRef.name'));
  return out;
}

/** validateRoleBinding checks a RoleBinding's role reference and subjects. */
export function validateRoleBinding(b: RoleBinding): FieldError[] {
  return [
    ...validateRoleRef(b.roleRef, ['ClusterRole', 'Role']),
    ...validateSubjects(b.subjects, false),
  ];
}

/** validateClusterRoleBinding checks a ClusterRoleBinding's role reference and subjects. */
export function validateClusterRoleBinding(b: ClusterRoleBinding): FieldError[] {
  return [...validateRoleRef(b.roleRef, ['ClusterRole']), ...validateSubjects(b.subjects, true)];
}

/** validatePodDisruptionBudget checks that at most one bound is set and both are well-formed. */
export function validatePodDisruptionBudget(pdb: PodDisruptionBudget): FieldError[] {
  const spec = pdb.spec ?? {};
  const out: FieldError[] = [];
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined)
    out.push(invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  out.push(...intOrPercent('spec.minAvailable', spec.minAvailable));
  out.push(...intOrPercent('spec.maxUnavailable', spec.maxUnavailable));
  out.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  out.push(
    ...oneOf('spec.unhealthyPodEvictionPolicy', spec.unhealthyPodEvictionPolicy, [
      'AlwaysAllow',
      'IfHealthyBudget',
    ]),
  );
  return out;
}

/** highestUserPriority is the largest value a PriorityClass not named system-* may have. */
export const highestUserPriority = 1_000_000_000;

/** validatePriorityClass checks a PriorityClass's value range and preemption policy. */
export function validatePriorityClass(pc: PriorityClass): FieldError[] {
  const out: FieldError[] = [];
  const system = (pc.metadata?.name ?? '').startsWith('system-');
  if (!system && pc.value > highestUserPriority)
    out.push(
      forbidden(
        'value',
        `maximum allowed value of a user defined priority is ${highestUserPriority}`,
      ),
    );
  out.push(...oneOf('preemptionPolicy', pc.preemptionPolicy, ['Never', 'PreemptLowerPriority']));
  return out;
}

const quotaScopes = [
  'BestEffort',
  'CrossNamespacePodAffinity',
  'NotBestEffort',
  'NotTerminating',
  'PriorityClass',
  'Terminating',
];

/** validateResourceQuota checks a quota's amounts and scopes. */
export function validateResourceQuota(q: ResourceQuota): FieldError[] {
  const out: FieldError[] = [];
  validateResourceList(q.spec?.hard, 'spec.hard', out);
  (q.spec?.scopes ?? []).forEach((s, i) => {
    out.push(...oneOf(fieldPath('spec.scopes', i), s, quotaScopes));
  });
  (q.spec?.scopeSelector?.matchExpressions ?? []).forEach((e, i) => {
    const p = fieldPath('spec.scopeSelector.matchExpressions', i);
    out.push(...oneOf(fieldPath(p, 'scopeName'), e.scopeName, quotaScopes));
    out.push(
      ...oneOf(fieldPath(p, 'operator'), e.operator, ['DoesNotExist', 'Exists', 'In', 'NotIn']),
    );
  });
  return out;
}

/** validateLimitRange checks each limit's type and amounts. */
export function validateLimitRange(lr: LimitRange): FieldError[] {
  const out: FieldError[] = [];
  (lr.spec?.limits ?? []).forEach((limit, i) => {
    const p = fieldPath('spec.limits', i);
    out.push(
      ...oneOf(fieldPath(p, 'type'), limit.type, ['Container', 'PersistentVolumeClaim', 'Pod']),
    );
    for (const field of [
      'max',
      'min',
      'default',
      'defaultRequest',
      'maxLimitRequestRatio',
    ] as const)
      validateResourceList(limit[field], fieldPath(p, field), out);
  });
  return out;
}

/** validatePodTemplateKind checks a stored PodTemplate. */
export function validatePodTemplateKind(pt: PodTemplate): FieldError[] {
  return pt.template === undefined
    ? [required('template')]
    : validatePodTemplate(pt.template, 'template');
}
