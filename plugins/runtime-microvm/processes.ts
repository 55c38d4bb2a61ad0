import { readdirSync, readFileSync } from 'node:fs';

/**
 * ProcessRecord names one helper process (qemu or virtiofsd) of a VM: its pid and the start
 * time the kernel gives it, so a recycled pid is never mistaken for it.
 */
export interface ProcessRecord {
  role: 'qemu' | 'virtiofsd';
  pid: number;
  /** startTime is field 22 of /proc/<pid>/stat (clock ticks since boot). */
  startTime: string;
}

/** processStartTime reads a process's start time, or undefined when it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); field 22 is then at index 19. A zombie is as good as gone.
    if (fields[0] === 'Z') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

/** recordProcess makes the record of a live process. */
export function recordProcess(role: ProcessRecord['role'], pid: number): ProcessRecord {
  return { role, pid, startTime: processStartTime(pid) ?? '' };
}

/** isRunning tells whether the recorded process still runs (same pid and start time). */
export function isRunning(record: ProcessRecord): boolean {
  return record.startTime !== '' && processStartTime(record.pid) === record.startTime;
}

/** signalProcess sends a signal to the recorded process if it is still the same one. */
export function signalProcess(record: ProcessRecord, signal: NodeJS.Signals): boolean {
  if (!isRunning(record)) return false;
  try {
    process.kill(record.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** waitGone waits until none of the recorded processes runs, or the time is up; tells which. */
export async function waitGone(records: ProcessRecord[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!records.some(isRunning)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** killProcesses sends SIGKILL to each recorded process and waits for them to go. */
export async function killProcesses(records: ProcessRecord[]): Promise<void> {
  for (const r of records) signalProcess(r, 'SIGKILL');
  await waitGone(records, 5_000);
}

/**
 * strayProcesses finds processes whose command line mentions a path under root: the qemu and
 * virtiofsd of VMs whose record was lost (an adapter that died between spawning and writing).
 */
export function strayProcesses(root: string): ProcessRecord[] {
  const found: ProcessRecord[] = [];
  const prefix = root.endsWith('/') ? root : `${root}/`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const exe = argv[0] ?? '';
    const role = exe.endsWith('virtiofsd')
      ? 'virtiofsd'
      : exe.includes('qemu-system')
        ? 'qemu'
        : undefined;
    if (!role || !argv.some((a) => a.includes(prefix))) continue;
    const startTime = processStartTime(pid);
    if (startTime) found.push({ role, pid, startTime });
  }
  return found;
}

/** readProcesses reads a VM's processes.json (none when it is absent or unreadable). */
export function readProcesses(path: string): ProcessRecord[] {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ProcessRecord[];
  } catch {
    return [];
  }
}
