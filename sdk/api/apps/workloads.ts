import type { Static } from '@sinclair/typebox';
import { PersistentVolumeClaim } from '../core/persistent-volume.ts';
import { PodTemplateSpec } from '../core/pod.ts';
import { LabelSelector, ObjectMeta, TypeMeta } from '../meta.ts';
import { arr, bool, doc, FreeForm, IntOrString, int, obj, opt, str, Time } from '../schema-kit.ts';

/** WorkloadCondition is the condition shape of Deployment, ReplicaSet, StatefulSet, DaemonSet. */
export const WorkloadCondition = obj({
  type: str(),
  status: str(),
  lastUpdateTime: opt(Time),
  lastTransitionTime: opt(Time),
  reason: opt(str()),
  message: opt(str()),
});

/** RollingUpdateDeployment bounds a rolling update by surge and unavailability. */
export const RollingUpdateDeployment = obj({
  maxUnavailable: opt(IntOrString),
  maxSurge: opt(IntOrString),
});

/** DeploymentStrategy says how a Deployment replaces old pods with new ones. */
export const DeploymentStrategy = obj(
  {
    type: opt(
      doc(
        str(),
        'RollingUpdate (the default) replaces pods a few at a time; Recreate removes every old pod before creating new ones.',
      ),
    ),
    rollingUpdate: opt(
      doc(RollingUpdateDeployment, 'Limits of a rolling update; only with type RollingUpdate.'),
    ),
  },
  'How old pods of a Deployment are replaced by new ones.',
);

/** DeploymentSpec is the state a Deployment's owner asks for. */
export const DeploymentSpec = obj(
  {
    replicas: opt(
      doc(int(), 'How many pods of the template should run. Defaults to 1; 0 stops them all.'),
    ),
    selector: doc(
      LabelSelector,
      "Which pods belong to this Deployment. Must match the template's labels, and cannot change once created.",
    ),
    template: doc(
      PodTemplateSpec,
      'The pod every replica is made from. Changing it starts a rollout; its restartPolicy must be Always.',
    ),
    strategy: opt(doc(DeploymentStrategy, 'How a rollout replaces old pods with new ones.')),
    minReadySeconds: opt(
      doc(
        int(),
        'How long a new pod must stay ready, with no container crashing, before it counts as available. Defaults to 0.',
      ),
    ),
    revisionHistoryLimit: opt(
      doc(int(), 'How many old ReplicaSets to keep so a rollout can be undone. Defaults to 10.'),
    ),
    paused: opt(doc(bool(), 'While true, template changes are recorded but no rollout happens.')),
    progressDeadlineSeconds: opt(
      doc(
        int(),
        'Seconds a rollout may go without progress before the Deployment reports it as failed (reason ProgressDeadlineExceeded). Defaults to 600.',
      ),
    ),
  },
  'DeploymentSpec holds what a Deployment should run and how it rolls out a change.',
);

/** Deployment declares replicas of a pod template, rolled out through ReplicaSets. */
export const Deployment = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(
    doc(
      DeploymentSpec,
      'The desired state of the Deployment: how many replicas of which pod template, and how to roll out a change.',
    ),
  ),
  status: opt(
    obj({
      observedGeneration: opt(int()),
      replicas: opt(int()),
      updatedReplicas: opt(int()),
      readyReplicas: opt(int()),
      availableReplicas: opt(int()),
      unavailableReplicas: opt(int()),
      terminatingReplicas: opt(int()),
      conditions: opt(arr(WorkloadCondition)),
      collisionCount: opt(int()),
    }),
  ),
});
export type Deployment = Static<typeof Deployment>;

/** ReplicaSet keeps a number of pods matching a selector running. */
export const ReplicaSet = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(
    obj({
      replicas: opt(int()),
      minReadySeconds: opt(int()),
      selector: LabelSelector,
      template: opt(PodTemplateSpec),
    }),
  ),
  status: opt(
    obj({
      replicas: int(),
      fullyLabeledReplicas: opt(int()),
      readyReplicas: opt(int()),
      availableReplicas: opt(int()),
      terminatingReplicas: opt(int()),
      observedGeneration: opt(int()),
      conditions: opt(arr(WorkloadCondition)),
    }),
  ),
});
export type ReplicaSet = Static<typeof ReplicaSet>;

/** DaemonSet runs one pod per eligible node. */
export const DaemonSet = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(
    obj({
      selector: LabelSelector,
      template: PodTemplateSpec,
      updateStrategy: opt(
        obj({
          type: opt(str()),
          rollingUpdate: opt(obj({ maxUnavailable: opt(IntOrString), maxSurge: opt(IntOrString) })),
        }),
      ),
      minReadySeconds: opt(int()),
      revisionHistoryLimit: opt(int()),
    }),
  ),
  status: opt(
    obj({
      currentNumberScheduled: int(),
      numberMisscheduled: int(),
      desiredNumberScheduled: int(),
      numberReady: int(),
      observedGeneration: opt(int()),
      updatedNumberScheduled: opt(int()),
      numberAvailable: opt(int()),
      numberUnavailable: opt(int()),
      collisionCount: opt(int()),
      conditions: opt(arr(WorkloadCondition)),
    }),
  ),
});
export type DaemonSet = Static<typeof DaemonSet>;

/** StatefulSet runs pods with stable names and storage. */
export const StatefulSet = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  spec: opt(
    obj({
      replicas: opt(int()),
      selector: LabelSelector,
      template: PodTemplateSpec,
      volumeClaimTemplates: opt(arr(PersistentVolumeClaim)),
      serviceName: opt(str()),
      podManagementPolicy: opt(str()),
      updateStrategy: opt(
        obj({
          type: opt(str()),
          rollingUpdate: opt(obj({ partition: opt(int()), maxUnavailable: opt(IntOrString) })),
        }),
      ),
      revisionHistoryLimit: opt(int()),
      minReadySeconds: opt(int()),
      persistentVolumeClaimRetentionPolicy: opt(
        obj({ whenDeleted: opt(str()), whenScaled: opt(str()) }),
      ),
      ordinals: opt(obj({ start: opt(int()) })),
    }),
  ),
  status: opt(
    obj({
      observedGeneration: opt(int()),
      replicas: int(),
      readyReplicas: opt(int()),
      currentReplicas: opt(int()),
      updatedReplicas: opt(int()),
      currentRevision: opt(str()),
      updateRevision: opt(str()),
      collisionCount: opt(int()),
      conditions: opt(arr(WorkloadCondition)),
      availableReplicas: opt(int()),
    }),
  ),
});
export type StatefulSet = Static<typeof StatefulSet>;

/** ControllerRevision is an immutable snapshot of a workload's template. */
export const ControllerRevision = obj({
  ...TypeMeta,
  metadata: opt(ObjectMeta),
  data: opt(FreeForm),
  revision: int(),
});
export type ControllerRevision = Static<typeof ControllerRevision>;
