import type { KubeObject, LabelSelector } from '../../../sdk/api/meta.ts';
import {
  age,
  ageCol,
  col,
  int,
  list,
  name,
  nameCol,
  type Obj,
  obj,
  type Printer,
  podSpecOf,
  printer,
  spec,
  status,
  str,
  strMap,
  templated,
} from './cells.ts';
import { boolCell, formatLabels, formatSelector, selectorString, since } from './format.ts';

function jobStatus(job: KubeObject): string {
  const has = (type: string): boolean =>
    list(status(job).conditions).some((c) => c.type === type && c.status === 'True');
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp !== undefined) return 'Terminating';
  if (has('Suspended')) return 'Suspended';
  if (has('FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function jobCompletions(job: KubeObject): string {
  const s = spec(job);
  const succeeded = int(status(job).succeeded);
  if (typeof s.completions === 'number') return `${succeeded}/${s.completions}`;
  const parallelism = int(s.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(job: KubeObject, now: Date): string {
  const st = status(job);
  const start = Date.parse(str(st.startTime));
  if (Number.isNaN(start)) return '';
  const end = Date.parse(str(st.completionTime));
  return since(new Date(start).toISOString(), Number.isNaN(end) ? now : new Date(end));
}

function hpaTargets(hpa: KubeObject): string {
  const s = spec(hpa);
  if (!Array.isArray(s.metrics)) {
    // autoscaling/v1 carries a single CPU target.
    if (typeof s.targetCPUUtilizationPercentage !== 'number') return '<none>';
    const current = status(hpa).currentCPUUtilizationPercentage;
    return `cpu: ${typeof current === 'number' ? `${current}%` : '<unknown>'}/${s.targetCPUUtilizationPercentage}%`;
  }
  const specs = list(s.metrics);
  if (specs.length === 0) return '<none>';
  const statuses = list(status(hpa).currentMetrics);
  const shown = specs.map((m, i) => metricText(m, statuses[i]));
  return shown.length > 2
    ? `${shown.slice(0, 2).join(', ')} + ${shown.length - 2} more...`
    : shown.join(', ');
}

function metricText(metric: Obj, current: Obj | undefined): string {
  const type = str(metric.type);
  const key =
    type === 'ContainerResource'
      ? 'containerResource'
      : type.charAt(0).toLowerCase() + type.slice(1);
  const source = obj(metric[key]);
  const target = obj(source.target);
  const now = obj(obj(current?.[key]).current);
  const q = (v: unknown): string => (v === undefined ? '<unknown>' : String(v));
  switch (type) {
    case 'Resource':
    case 'ContainerResource': {
      if (target.averageValue !== undefined)
        return `${str(source.name)}: ${q(now.averageValue)}/${String(target.averageValue)}`;
      const cur =
        typeof now.averageUtilization === 'number' ? `${now.averageUtilization}%` : '<unknown>';
      const want =
        typeof target.averageUtilization === 'number' ? `${target.averageUtilization}%` : '<auto>';
      return `${str(source.name)}: ${cur}/${want}`;
    }
    case 'Pods':
      return `${q(now.averageValue)}/${String(target.averageValue)}`;
    case 'Object':
    case 'External':
      return target.averageValue !== undefined
        ? `${q(now.averageValue)}/${String(target.averageValue)} (avg)`
        : `${q(now.value)}/${String(target.value)}`;
    default:
      return '<unknown type>';
  }
}

function controllerOf(o: KubeObject): string {
  const ref = (o.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
  if (ref === undefined) return '<none>';
  const slash = ref.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
  const kind = group === '' ? ref.kind : `${ref.kind}.${group}`;
  return `${kind.toLowerCase()}/${ref.name}`;
}

const replicaColumns = [
  nameCol,
  col('Desired', 'integer', 'The number of pods wanted.'),
  col('Current', 'integer', 'The number of pods that exist.'),
  col('Ready', 'integer', 'The number of pods that are ready.'),
  ageCol,
];
const replicaCells = (o: KubeObject, now: Date): unknown[] => [
  name(o),
  int(spec(o).replicas),
  int(status(o).replicas),
  int(status(o).readyReplicas),
  age(o, now),
];
const labelSelectorOf = (o: KubeObject): LabelSelector | undefined =>
  spec(o).selector as LabelSelector | undefined;

/** workloadPrinters holds the printers of the workload and autoscaling kinds. */
export const workloadPrinters: Readonly<Record<string, Printer>> = {
  ReplicationController: templated(
    replicaColumns,
    replicaCells,
    (o) => podSpecOf(spec(o).template),
    (o) => formatLabels(strMap(spec(o).selector)),
  ),
  ReplicaSet: templated(
    replicaColumns,
    replicaCells,
    (o) => podSpecOf(spec(o).template),
    (o) => formatSelector(labelSelectorOf(o)),
  ),
  Deployment: templated(
    [
      nameCol,
      col('Ready', 'string', 'Ready pods out of the wanted number.'),
      col('Up-to-date', 'string', 'Pods that run the current template.'),
      col('Available', 'string', 'Pods available to serve.'),
      ageCol,
    ],
    (o, now) => [
      name(o),
      `${int(status(o).readyReplicas)}/${int(spec(o).replicas)}`,
      int(status(o).updatedReplicas),
      int(status(o).availableReplicas),
      age(o, now),
    ],
    (o) => podSpecOf(spec(o).template),
    (o) => selectorString(labelSelectorOf(o)),
  ),
  StatefulSet: templated(
    [nameCol, col('Ready', 'string', 'Ready pods out of the wanted number.'), ageCol],
    (o, now) => [name(o), `${int(status(o).readyReplicas)}/${int(spec(o).replicas)}`, age(o, now)],
    (o) => podSpecOf(spec(o).template),
  ),
  DaemonSet: templated(
    [
      nameCol,
      col('Desired', 'integer', 'Nodes that should run the pod.'),
      col('Current', 'integer', 'Nodes that run the pod.'),
      col('Ready', 'integer', 'Nodes whose pod is ready.'),
      col('Up-to-date', 'integer', 'Nodes that run the current template.'),
      col('Available', 'integer', 'Nodes whose pod is available.'),
      col('Node Selector', 'string', 'The node labels the pod template asks for.'),
      ageCol,
    ],
    (o, now) => {
      const st = status(o);
      return [
        name(o),
        int(st.desiredNumberScheduled),
        int(st.currentNumberScheduled),
        int(st.numberReady),
        int(st.updatedNumberScheduled),
        int(st.numberAvailable),
        formatLabels(strMap(podSpecOf(spec(o).template).nodeSelector)),
        age(o, now),
      ];
    },
    (o) => podSpecOf(spec(o).template),
    (o) => formatSelector(labelSelectorOf(o)),
  ),
  Job: templated(
    [
      nameCol,
      col('Status', 'string', 'The state of the job.'),
      col('Completions', 'string', 'Succeeded pods out of the wanted completions.'),
      col('Duration', 'string', 'How long the job ran.'),
      ageCol,
    ],
    (o, now) => [name(o), jobStatus(o), jobCompletions(o), jobDuration(o, now), age(o, now)],
    (o) => podSpecOf(spec(o).template),
    (o) => formatSelector(labelSelectorOf(o)),
  ),
  CronJob: templated(
    [
      nameCol,
      col('Schedule', 'string', 'The cron schedule.'),
      col('Timezone', 'string', 'The time zone of the schedule.'),
      col('Suspend', 'boolean', 'Whether new runs are held back.'),
      col('Active', 'integer', 'Jobs running now.'),
      col('Last Schedule', 'string', 'How long ago a job was last started.'),
      ageCol,
    ],
    (o, now) => {
      const s = spec(o);
      const last = status(o).lastScheduleTime;
      return [
        name(o),
        str(s.schedule),
        str(s.timeZone) || '<none>',
        boolCell(s.suspend),
        list(status(o).active).length,
        last === undefined ? '<none>' : since(last, now),
        age(o, now),
      ];
    },
    (o) => podSpecOf(obj(obj(spec(o).jobTemplate).spec).template),
    (o) => formatSelector(obj(obj(spec(o).jobTemplate).spec).selector as LabelSelector | undefined),
  ),
  HorizontalPodAutoscaler: printer(
    [
      nameCol,
      col('Reference', 'string', 'The object being scaled.'),
      col('Targets', 'string', 'Current and target metric values.'),
      col('MinPods', 'string', 'The lower bound of replicas.'),
      col('MaxPods', 'string', 'The upper bound of replicas.'),
      col('Replicas', 'string', 'The current number of replicas.'),
      ageCol,
    ],
    (o, now) => {
      const s = spec(o);
      const ref = obj(s.scaleTargetRef);
      return [
        name(o),
        `${str(ref.kind)}/${str(ref.name)}`,
        hpaTargets(o),
        typeof s.minReplicas === 'number' ? String(s.minReplicas) : '<unset>',
        int(s.maxReplicas),
        int(status(o).currentReplicas),
        age(o, now),
      ];
    },
  ),
  ControllerRevision: printer(
    [
      nameCol,
      col('Controller', 'string', 'The object that owns the revision.'),
      col('Revision', 'string', 'The revision number.'),
      ageCol,
    ],
    (o, now) => [name(o), controllerOf(o), int(o.revision), age(o, now)],
  ),
  Scale: printer(
    [
      { ...nameCol, format: '' },
      col('Desired', 'integer', 'The wanted number of replicas.'),
      col('Available', 'integer', 'The current number of replicas.'),
      ageCol,
    ],
    (o, now) => [name(o), int(spec(o).replicas), int(status(o).replicas), age(o, now)],
  ),
};
