import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { ImageSpec, LayerEntry } from './image-layout.ts';

/** pauseImageRef is the sandbox image skiff's runtimes use; they build it when it is absent. */
export const pauseImageRef = 'skiff.local/pause:1';

/** defaultPath is the PATH every built image sets. */
export const defaultPath = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const busyboxCandidates = ['/bin/busybox', '/usr/bin/busybox'];

/** findBusybox returns the host's static busybox, or an error naming the missing package. */
export function findBusybox(): string {
  const found = busyboxCandidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      'no static busybox on this host (looked at /bin/busybox, /usr/bin/busybox): install the Debian package busybox-static',
    );
  }
  return found;
}

let busyboxLayerMemo: LayerEntry[] | undefined;

/**
 * busyboxLayer is a root file system from the host's busybox-static: the binary, a link per
 * applet where busybox would install it, /etc/passwd and /etc/group, and a world-writable /tmp.
 */
export function busyboxLayer(): LayerEntry[] {
  if (busyboxLayerMemo) return busyboxLayerMemo;
  const busybox = findBusybox();
  const applets = execFileSync(busybox, ['--list-full'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && l !== 'bin/busybox');
  const layer: LayerEntry[] = [
    { type: 'dir', path: 'bin' },
    { type: 'dir', path: 'sbin' },
    { type: 'dir', path: 'usr/bin' },
    { type: 'dir', path: 'usr/sbin' },
    { type: 'dir', path: 'etc' },
    { type: 'dir', path: 'root', mode: 0o700 },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'dir', path: 'var/log' },
    { type: 'dir', path: 'proc' },
    { type: 'dir', path: 'sys' },
    { type: 'dir', path: 'dev' },
    { type: 'host-file', path: 'bin/busybox', mode: 0o755, source: busybox },
    {
      type: 'file',
      path: 'etc/passwd',
      content:
        'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
    },
    { type: 'file', path: 'etc/group', content: 'root:x:0:\nnogroup:x:65534:\n' },
  ];
  for (const applet of applets) {
    layer.push({ type: 'symlink', path: applet, target: '/bin/busybox' });
  }
  busyboxLayerMemo = layer;
  return layer;
}

// PID 1 gets no default signal handlers, so the pause process traps TERM and INT itself and
// waits in the background sleep so that a trapped signal ends the wait at once.
const pauseScript = `#!/bin/sh
trap 'exit 0' TERM INT
while :; do
  sleep 86400 &
  wait $!
done
`;

/** pauseImage is the sandbox image: a shell that holds the namespaces and exits 0 on SIGTERM. */
export function pauseImage(ref: string = pauseImageRef): ImageSpec {
  return {
    ref,
    layers: [busyboxLayer(), [{ type: 'file', path: 'pause', mode: 0o755, content: pauseScript }]],
    config: { Entrypoint: ['/pause'], Env: [defaultPath], WorkingDir: '/' },
  };
}
