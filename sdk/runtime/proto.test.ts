import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { loadRuntimeProto, runtimeProtoPath } from './proto.ts';

// Method tables and field numbers checked against the CRI v1 API of Kubernetes 1.29
// (k8s.io/cri-api v0.29.0).
const runtimeMethods = [
  'Version',
  'RunPodSandbox',
  'StopPodSandbox',
  'RemovePodSandbox',
  'PodSandboxStatus',
  'ListPodSandbox',
  'CreateContainer',
  'StartContainer',
  'StopContainer',
  'RemoveContainer',
  'ListContainers',
  'ContainerStatus',
  'UpdateContainerResources',
  'ReopenContainerLog',
  'ExecSync',
  'Exec',
  'Attach',
  'PortForward',
  'ContainerStats',
  'ListContainerStats',
  'PodSandboxStats',
  'ListPodSandboxStats',
  'UpdateRuntimeConfig',
  'Status',
  'CheckpointContainer',
  'GetContainerEvents',
  'ListMetricDescriptors',
  'ListPodSandboxMetrics',
  'RuntimeConfig',
];
const imageMethods = ['ListImages', 'ImageStatus', 'PullImage', 'RemoveImage', 'ImageFsInfo'];

const fieldNumbers: [message: string, field: string, id: number][] = [
  ['PodSandboxConfig', 'metadata', 1],
  ['PodSandboxConfig', 'hostname', 2],
  ['PodSandboxConfig', 'log_directory', 3],
  ['PodSandboxConfig', 'dns_config', 4],
  ['PodSandboxConfig', 'linux', 8],
  ['ContainerConfig', 'image', 2],
  ['ContainerConfig', 'command', 3],
  ['ContainerConfig', 'working_dir', 5],
  ['ContainerConfig', 'envs', 6],
  ['ContainerConfig', 'mounts', 7],
  ['ContainerConfig', 'log_path', 11],
  ['ContainerConfig', 'tty', 14],
  ['ContainerConfig', 'CDI_devices', 17],
  ['ImageSpec', 'image', 1],
  ['ImageSpec', 'user_specified_image', 18],
  ['ImageSpec', 'runtime_handler', 19],
  ['LinuxSandboxSecurityContext', 'run_as_group', 8],
  ['LinuxSandboxSecurityContext', 'seccomp_profile_path', 7],
  ['LinuxContainerSecurityContext', 'run_as_group', 12],
  ['LinuxContainerSecurityContext', 'apparmor', 16],
  ['LinuxContainerResources', 'memory_swap_limit_in_bytes', 10],
  ['Mount', 'propagation', 5],
  ['Mount', 'uidMappings', 6],
  ['ContainerStatus', 'exit_code', 7],
  ['ContainerStatus', 'log_path', 15],
  ['ContainerStatus', 'resources', 16],
  ['PodSandboxStatusResponse', 'containers_statuses', 3],
  ['PodSandboxStatusResponse', 'timestamp', 4],
  ['ExecSyncRequest', 'timeout', 3],
  ['ExecSyncResponse', 'exit_code', 3],
  ['StopContainerRequest', 'timeout', 2],
  ['Image', 'pinned', 8],
  ['ImageFsInfoResponse', 'container_filesystems', 2],
  ['ContainerStats', 'swap', 5],
  ['ContainerEventResponse', 'containers_statuses', 5],
  ['RuntimeConfigResponse', 'linux', 1],
];

const enumValues: [enumName: string, name: string, value: number][] = [
  ['PodSandboxState', 'SANDBOX_NOTREADY', 1],
  ['ContainerState', 'CONTAINER_EXITED', 2],
  ['ContainerState', 'CONTAINER_UNKNOWN', 3],
  ['NamespaceMode', 'TARGET', 3],
  ['MountPropagation', 'PROPAGATION_BIDIRECTIONAL', 2],
  ['CgroupDriver', 'CGROUPFS', 1],
];

describe('runtime.v1 protocol file', () => {
  // keepCase to compare field names with the wire names of the .proto file.
  const raw = protoLoader.loadSync(runtimeProtoPath, { keepCase: true });

  it('declares RuntimeService and ImageService with every CRI v1 method, in order', () => {
    const proto = loadRuntimeProto();
    expect(Object.keys(proto.runtime.v1.RuntimeService.service)).toEqual(runtimeMethods);
    expect(Object.keys(proto.runtime.v1.ImageService.service)).toEqual(imageMethods);
    const events = proto.runtime.v1.RuntimeService.service.GetContainerEvents;
    expect(events?.responseStream).toBe(true);
    expect(events?.path).toBe('/runtime.v1.RuntimeService/GetContainerEvents');
  });

  it.each(fieldNumbers)('%s.%s is field %i', (message, field, id) => {
    const type = raw[`runtime.v1.${message}`] as {
      type: { field: { name: string; number: number }[] };
    };
    const found = type.type.field.find((f) => f.name === field);
    expect(found?.number).toBe(id);
  });

  it.each(enumValues)('%s.%s is %i', (enumName, name, value) => {
    const type = raw[`runtime.v1.${enumName}`] as {
      type: { value: { name: string; number: number }[] };
    };
    expect(type.type.value.find((v) => v.name === name)?.number).toBe(value);
  });
});
