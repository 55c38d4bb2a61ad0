import type { KubeObject } from '../../../sdk/api/meta.ts';
import {
  age,
  ageCol,
  col,
  int,
  list,
  name,
  nameCol,
  obj,
  type Printer,
  printer,
  spec,
  status,
  str,
} from './cells.ts';
import { containerCells, formatLabels } from './format.ts';

function quotaColumns(quota: KubeObject): [string, string] {
  const hard = obj(status(quota).hard);
  const used = obj(status(quota).used);
  const requests: string[] = [];
  const limits: string[] = [];
  for (const resource of Object.keys(hard).sort()) {
    const pieces = resource.split('.');
    const text = `${resource}: ${String(used[resource] ?? '0')}/${String(hard[resource])}`;
    (pieces.length > 1 && pieces[0] === 'limits' ? limits : requests).push(text);
  }
  return [requests.join(', '), limits.join(', ')];
}

function subjects(binding: KubeObject): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const accounts: string[] = [];
  for (const s of list(binding.subjects)) {
    if (s.kind === 'User') users.push(str(s.name));
    else if (s.kind === 'Group') groups.push(str(s.name));
    else if (s.kind === 'ServiceAccount') accounts.push(`${str(s.namespace)}/${str(s.name)}`);
  }
  return [users.join(', '), groups.join(', '), accounts.join(', ')];
}

const bindingPrinter = (owner: string): Printer =>
  printer(
    [
      nameCol,
      col('Role', 'string', 'The role the binding grants.'),
      ageCol,
      col('Users', 'string', `Users named in the ${owner}.`, 1),
      col('Groups', 'string', `Groups named in the ${owner}.`, 1),
      col('ServiceAccounts', 'string', `Service accounts named in the ${owner}.`, 1),
    ],
    (o, now) => {
      const ref = obj(o.roleRef);
      return [name(o), `${str(ref.kind)}/${str(ref.name)}`, age(o, now), ...subjects(o)];
    },
  );

const orNA = (v: unknown): string => (v === undefined || v === null ? 'N/A' : String(v));

/** policyPrinters holds the printers of the quota, disruption, priority and RBAC binding kinds. */
export const policyPrinters: Readonly<Record<string, Printer>> = {
  PodTemplate: printer(
    [
      nameCol,
      col('Containers', 'string', 'Names of the containers in the template.'),
      col('Images', 'string', 'Images of the containers in the template.'),
      col('Pod Labels', 'string', 'The labels of the pod template.'),
    ],
    (o) => {
      const template = obj(o.template);
      return [
        name(o),
        ...containerCells(obj(template.spec).containers),
        formatLabels(obj(template.metadata).labels as Record<string, string>),
      ];
    },
  ),
  ResourceQuota: printer(
    [
      nameCol,
      col('Request', 'string', 'Used and hard amounts of the non-limit resources.'),
      col('Limit', 'string', 'Used and hard amounts of the limits.* resources.'),
      ageCol,
    ],
    (o, now) => [name(o), ...quotaColumns(o), age(o, now)],
  ),
  PodDisruptionBudget: printer(
    [
      nameCol,
      col('Min Available', 'string', 'Pods that must stay available.'),
      col('Max Unavailable', 'string', 'Pods that may be unavailable.'),
      col('Allowed Disruptions', 'integer', 'Pods that may be disrupted now.'),
      ageCol,
    ],
    (o, now) => [
      name(o),
      orNA(spec(o).minAvailable),
      orNA(spec(o).maxUnavailable),
      int(status(o).disruptionsAllowed),
      age(o, now),
    ],
  ),
  PriorityClass: printer(
    [
      nameCol,
      col('Value', 'integer', 'The priority of pods of the class.'),
      col('Global-Default', 'boolean', 'Whether pods without a class get this one.'),
      ageCol,
      col('PreemptionPolicy', 'string', 'Whether pods of the class may preempt others.'),
    ],
    (o, now) => [
      name(o),
      int(o.value),
      o.globalDefault === true,
      age(o, now),
      str(o.preemptionPolicy),
    ],
  ),
  RoleBinding: bindingPrinter('role binding'),
  ClusterRoleBinding: bindingPrinter('cluster role binding'),
};
