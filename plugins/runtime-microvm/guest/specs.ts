/** The values GuestChannel takes and gives: what the guest is asked to run and what it reports. */

/** GuestHello is what the guest agent says about itself once it is up. */
export interface GuestHello {
  /** agent is the agent's protocol version. */
  agent: string;
  /** kernel is the guest kernel's release (`uname -r`). */
  kernel: string;
  hostname: string;
}

/** GuestMount binds a directory or file of the shared directory into a container. */
export interface GuestMount {
  /** source is relative to the shared directory and holds no `:`. */
  source: string;
  /** destination is the path inside the container; created when missing. */
  destination: string;
  readonly?: boolean;
}

/** GuestProcessOptions are what CREATE and EXEC share. */
export interface GuestProcessOptions {
  /** argv; argv[0] is looked up in the PATH of env. */
  argv: string[];
  /** env holds `NAME=value` entries: exactly the process's environment. */
  env?: string[];
  /** cwd defaults to `/`. */
  cwd?: string;
  /** stdin keeps the process's stdin open for write()/closeStdin(); else it reads /dev/null. */
  stdin?: boolean;
  /** tty runs the process on a terminal: all output arrives as stdout. */
  tty?: boolean;
  rows?: number;
  cols?: number;
  /** uid and gid run the process as that user and group (default root). */
  uid?: number;
  gid?: number;
  /** groups are the supplementary group ids (default none once uid or gid is set). */
  groups?: number[];
}

/** GuestContainerSpec describes a container to create and start in the guest. */
export interface GuestContainerSpec extends GuestProcessOptions {
  /** name is unique in the guest: 1–128 characters of [A-Za-z0-9_.-]. */
  name: string;
  /** rootfs is the image root directory, relative to the shared directory. */
  rootfs: string;
  mounts?: GuestMount[];
  /** limits are the container's cgroup limits inside the guest, set before it runs. */
  limits?: GuestLimits;
}

/** GuestLimits are a container's CPU and memory limits in cgroup v2 terms. */
export interface GuestLimits {
  /** cpuMax is cpu.max: "max" or "QUOTA PERIOD" in microseconds. */
  cpuMax?: string;
  /** memoryMax is memory.max: "max" or bytes. */
  memoryMax?: string;
}

/** GuestExecSpec describes a process to run inside a running container. */
export interface GuestExecSpec extends GuestProcessOptions {
  container: string;
  /** timeoutSeconds makes the guest SIGKILL the process after that long; 0 means never. */
  timeoutSeconds?: number;
}

/** ProcessExit says how a guest process ended. */
export interface ProcessExit {
  /** exitCode is the exit status, or 128 + the signal number when a signal killed it. */
  exitCode: number;
  /** signal is the number of the signal that killed it, if one did. */
  signal?: number;
  /** timedOut tells that the exec timeout killed it. */
  timedOut: boolean;
}

/** ExecSyncResult is the outcome of execSync. */
export interface ExecSyncResult extends ProcessExit {
  stdout: Buffer;
  stderr: Buffer;
}

/** GuestContainerState is one container as LIST reports it. */
export interface GuestContainerState {
  name: string;
  /** process is the wire id of the container's main process. */
  process: number;
  state: 'running' | 'exited';
  /** pid is the guest pid of the main process while it runs. */
  pid?: number;
  exit?: ProcessExit;
}

/** OutputStream names a process output stream. */
export type OutputStream = 'stdout' | 'stderr';

/** GuestChannelEvents are the events a GuestChannel emits. */
export interface GuestChannelEvents {
  /** output carries a chunk a container's main process wrote. */
  output: [container: string, stream: OutputStream, data: Buffer];
  /** exit tells that a container's main process ended. */
  exit: [container: string, exit: ProcessExit];
  /** close tells that the connection is gone; error is set when it broke. */
  close: [error: Error | undefined];
}

/** GuestChannelOptions tune a connection. */
export interface GuestChannelOptions {
  /** connectTimeoutMs is how long connect() retries while qemu's socket is not there yet. */
  connectTimeoutMs?: number;
  /** requestTimeoutMs bounds each request but HELLO (default 30 s). */
  requestTimeoutMs?: number;
}
