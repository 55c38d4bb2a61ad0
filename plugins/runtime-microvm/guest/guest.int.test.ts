import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxLayer } from '../../../sdk/runtime/base-images.ts';
import { type Daemon, startDaemon } from '../../../test/harness/daemon.ts';
import { GuestChannel, type OutputStream, type ProcessExit } from '../channel.ts';
import type { FrameType } from './frames.ts';
import { buildInitramfs, type GuestImage, kernelCommandLine } from './initramfs.ts';

const qemu = 'qemu-system-x86_64';
const virtiofsd = '/usr/lib/qemu/virtiofsd';
const hostname = 'pod-guest-test';
const env = ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'];
const guestIp = '10.0.2.15/24';
const guestGateway = '10.0.2.2';

function need(path: string, what: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${path}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`${path} is missing: this test boots a real micro-VM and needs ${what}`);
  }
}

/** writeRootfs lays a busybox root file system out as a plain directory, as an image store would. */
function writeRootfs(dir: string): void {
  for (const e of busyboxLayer()) {
    const path = join(dir, e.path);
    mkdirSync(e.type === 'dir' ? path : dirname(path), { recursive: true });
    if (e.type === 'dir') chmodSync(path, e.mode ?? 0o755);
    else if (e.type === 'file') writeFileSync(path, e.content, { mode: e.mode ?? 0o644 });
    else if (e.type === 'host-file') {
      copyFileSync(e.source, path);
      chmodSync(path, e.mode ?? 0o755);
    } else symlinkSync(e.target, path);
  }
}

/** Events collects what the channel reports about containers. */
class Events {
  private readonly output = new Map<string, Record<OutputStream, string>>();
  private readonly exits = new Map<string, ProcessExit>();
  private readonly waiters: (() => void)[] = [];

  constructor(channel: GuestChannel) {
    channel.on('output', (name, stream, data) => {
      const o = this.output.get(name) ?? { stdout: '', stderr: '' };
      o[stream] += data.toString();
      this.output.set(name, o);
    });
    channel.on('exit', (name, exit) => {
      this.exits.set(name, exit);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  outputOf(name: string): Record<OutputStream, string> {
    return this.output.get(name) ?? { stdout: '', stderr: '' };
  }

  async exitOf(name: string, timeoutMs = 30_000): Promise<ProcessExit> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const exit = this.exits.get(name);
      if (exit) return exit;
      if (Date.now() > deadline)
        throw new Error(`container ${name} did not exit in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }
}

describe('micro-VM guest: initramfs, agent and channel on a real qemu microvm (TCG)', () => {
  let work: string;
  let share: string;
  let image: GuestImage;
  let fsd: Daemon | undefined;
  let vm: Daemon | undefined;
  let channel: GuestChannel | undefined;
  let events: Events;

  beforeAll(async () => {
    need(qemu, 'the Debian package qemu-system-x86');
    need(virtiofsd, 'the Debian package qemu-system-x86 (virtiofsd)');
    need('gcc', 'the Debian package build-essential');
    work = mkdtempSync(join(tmpdir(), 'skiff-guest-test-'));
    share = join(work, 'share');
    writeRootfs(join(share, 'images', 'busybox'));
    mkdirSync(join(share, 'volumes', 'config'), { recursive: true });
    writeFileSync(join(share, 'volumes', 'config', 'greeting'), 'hello from the host\n');
    // An image whose /etc/hostname points at a path of the guest's own root (the share).
    writeRootfs(join(share, 'images', 'linked'));
    symlinkSync(
      '/run/skiff/share/volumes/config/greeting',
      join(share, 'images/linked/etc/hostname'),
    );
    symlinkSync('/run/skiff/share/volumes', join(share, 'images/linked/data'));
    image = await buildInitramfs({ cacheDir: join(work, 'cache') });

    fsd = await startDaemon({
      name: 'virtiofsd',
      command: virtiofsd,
      args: (dir) => [
        `--socket-path=${join(dir, 'virtiofs.sock')}`,
        '-o',
        `source=${share}`,
        '-o',
        'cache=auto',
        '-o',
        'sandbox=chroot',
        '-o',
        'xattr',
      ],
      ready: async (dir) => existsSync(join(dir, 'virtiofs.sock')),
      readyTimeoutMs: 10_000,
    });
    const fsSocket = join(fsd.dir, 'virtiofs.sock');
    const booted = Date.now();
    vm = await startDaemon({
      name: 'qemu-microvm',
      command: qemu,
      args: (dir) => [
        ...['-M', 'microvm,acpi=on', '-accel', 'tcg', '-cpu', 'max', '-smp', '1', '-m', '256M'],
        ...['-nodefaults', '-no-user-config', '-nographic', '-no-reboot', '-monitor', 'none'],
        ...['-serial', `file:${join(dir, 'console.log')}`],
        ...['-kernel', image.kernel, '-initrd', image.initrd],
        ...['-append', kernelCommandLine({ hostname, ip: guestIp, gateway: guestGateway })],
        // User-mode networking with restrict=on reaches nothing outside qemu: it only gives
        // the guest a network card for /init to configure.
        ...['-netdev', 'user,id=n0,restrict=on', '-device', 'virtio-net-device,netdev=n0'],
        ...['-global', 'virtio-mmio.force-legacy=false'],
        ...[
          '-object',
          'memory-backend-memfd,id=mem,size=256M,share=on',
          '-numa',
          'node,memdev=mem',
        ],
        ...['-chardev', `socket,id=fs,path=${fsSocket}`],
        ...['-device', 'vhost-user-fs-device,chardev=fs,tag=skiff'],
        ...['-device', 'virtio-serial-device'],
        ...['-chardev', `socket,id=agent,path=${join(dir, 'agent.sock')},server=on,wait=off`],
        ...['-device', 'virtserialport,chardev=agent,name=org.skiff.agent'],
      ],
      ready: async (dir) => existsSync(join(dir, 'agent.sock')),
      readyTimeoutMs: 10_000,
      stopTimeoutMs: 3_000,
    });
    // Connect and say HELLO at once: the request waits in qemu until the agent opens its port.
    channel = await GuestChannel.connect(join(vm.dir, 'agent.sock'));
    events = new Events(channel);
    const hello = await channel.hello(90_000).catch((err: Error) => {
      throw new Error(`${err.message}; guest console:\n${consoleLog().slice(-3000)}`);
    });
    console.log(`micro-VM boot to agent hello: ${Date.now() - booted} ms (TCG)`);
    expect(hello).toEqual({ agent: '2', kernel: image.kernelVersion, hostname });
  });

  afterAll(async () => {
    await channel?.close().catch(() => {});
    await vm?.stop();
    await fsd?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const consoleLog = () => {
    try {
      return execFileSync('cat', [join(vm?.dir ?? '/nonexistent', 'console.log')], {
        encoding: 'utf8',
      });
    } catch {
      return '(no console log)';
    }
  };

  const guest = () => {
    if (!channel) throw new Error('the guest did not come up');
    return channel;
  };

  const rootfs = 'images/busybox';

  it('runs a container to its end: stdout and stderr frames, then exit 7', async () => {
    await guest().createContainer({
      name: 'once',
      rootfs,
      argv: ['sh', '-c', 'echo hi; echo err >&2; exit 7'],
      env,
    });
    expect(await events.exitOf('once')).toEqual({ exitCode: 7, timedOut: false });
    expect(events.outputOf('once')).toEqual({ stdout: 'hi\n', stderr: 'err\n' });
    const listed = (await guest().listContainers()).find((c) => c.name === 'once');
    expect(listed).toMatchObject({ state: 'exited', exit: { exitCode: 7 } });
  });

  it('execs in a running container: /etc/hostname is the VM hostname', async () => {
    await guest().createContainer({ name: 'sleeper', rootfs, argv: ['sleep', '1000'], env });
    const r = await guest().execSync({
      container: 'sleeper',
      argv: ['cat', '/etc/hostname'],
      env,
      timeoutSeconds: 20,
    });
    expect({
      exitCode: r.exitCode,
      stdout: r.stdout.toString(),
      stderr: r.stderr.toString(),
    }).toEqual({ exitCode: 0, stdout: `${hostname}\n`, stderr: '' });
    const failing = await guest().execSync({
      container: 'sleeper',
      argv: ['sh', '-c', 'echo out; echo bad >&2; exit 3'],
      env,
    });
    expect([failing.exitCode, failing.stdout.toString(), failing.stderr.toString()]).toEqual([
      3,
      'out\n',
      'bad\n',
    ]);
  });

  it('configures eth0 and the default route from the kernel command line', async () => {
    const r = await guest().execSync({
      container: 'sleeper',
      argv: ['sh', '-c', 'ip -4 addr show dev eth0; ip route'],
      env,
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toContain(`inet ${guestIp}`);
    expect(r.stdout.toString()).toContain(`default via ${guestGateway} dev eth0`);
  });

  it('carries megabytes of output whole and in order', async () => {
    const r = await guest().execSync({
      container: 'sleeper',
      argv: ['sh', '-c', 'seq 1 300000; echo done >&2'],
      env,
      timeoutSeconds: 60,
    });
    const expected = `${Array.from({ length: 300_000 }, (_, i) => i + 1).join('\n')}\n`;
    expect(r.exitCode).toBe(0);
    expect(r.stdout.length).toBe(expected.length);
    expect(r.stdout.toString() === expected).toBe(true);
    expect(r.stderr.toString()).toBe('done\n');
  });

  it('runs a process as the user, group and groups it is given', async () => {
    const r = await guest().execSync({
      container: 'sleeper',
      argv: ['sh', '-c', 'id -u; id -g; id -G; touch /root/x'],
      env,
      uid: 1000,
      gid: 2000,
      groups: [3000, 3001],
    });
    expect(r.stdout.toString()).toBe('1000\n2000\n2000 3000 3001\n');
    expect(r.stderr.toString()).toMatch(/Permission denied/);
    await expect(
      guest().createContainer({ name: 'baduser', rootfs, argv: ['true'], env, uid: -1 }),
    ).rejects.toMatchObject({ code: 'Invalid', message: expect.stringContaining('uid') });
  });

  it('kills an exec that outlives its timeout and says so', async () => {
    const r = await guest().execSync({
      container: 'sleeper',
      argv: ['sleep', '60'],
      env,
      timeoutSeconds: 1,
    });
    expect(r).toMatchObject({ timedOut: true, signal: 9, exitCode: 137 });
  });

  it('streams an exec with stdin and with a terminal', async () => {
    const cat = guest().exec({ container: 'sleeper', argv: ['cat'], env, stdin: true });
    let echoed = '';
    cat.on('stdout', (d) => {
      echoed += d.toString();
    });
    await cat.started;
    cat.write('line one\nline two\n');
    cat.closeStdin();
    expect(await cat.exited).toEqual({ exitCode: 0, timedOut: false });
    expect(echoed).toBe('line one\nline two\n');

    const sh = guest().exec({
      container: 'sleeper',
      argv: ['sh', '-c', 'stty size; read line; echo "got $line"'],
      env,
      stdin: true,
      tty: true,
      rows: 33,
      cols: 101,
    });
    let screen = '';
    sh.on('stdout', (d) => {
      screen += d.toString();
    });
    await sh.started;
    sh.write('typed\n');
    expect(await sh.exited).toEqual({ exitCode: 0, timedOut: false });
    expect(screen).toContain('33 101');
    expect(screen).toContain('got typed');
  });

  it('delivers a signal: the container exits by SIGKILL', async () => {
    await guest().createContainer({ name: 'victim', rootfs, argv: ['sleep', '1000'], env });
    await guest().signalContainer('victim', 'SIGKILL');
    expect(await events.exitOf('victim')).toEqual({ exitCode: 137, signal: 9, timedOut: false });
    // Signalling what has ended is not an error; an unknown container is.
    await guest().signalContainer('victim', 'SIGTERM');
    await expect(guest().signalContainer('nobody', 'SIGTERM')).rejects.toMatchObject({
      code: 'NotFound',
    });
  });

  it('gives containers one network but separate processes', async () => {
    await guest().createContainer({
      name: 'web',
      rootfs,
      argv: [
        'sh',
        '-c',
        'mkdir -p /tmp/www && echo pong > /tmp/www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /tmp/www',
      ],
      env,
    });
    const fetched = await guest().execSync({
      container: 'sleeper',
      argv: [
        'sh',
        '-c',
        'for i in $(seq 100); do wget -qO- http://127.0.0.1:8080/ && exit 0; sleep 0.1; done; exit 1',
      ],
      env,
      timeoutSeconds: 30,
    });
    expect([fetched.exitCode, fetched.stdout.toString()]).toEqual([0, 'pong\n']);

    const ps = async (container: string) =>
      (
        await guest().execSync({ container, argv: ['ps', '-o', 'pid,args'], env })
      ).stdout.toString();
    const inSleeper = await ps('sleeper');
    const inWeb = await ps('web');
    expect(inSleeper).toMatch(/^\s*1 sleep 1000$/m);
    expect(inSleeper).not.toContain('httpd');
    expect(inWeb).toMatch(/^\s*1 httpd -f/m);
    expect(inWeb).not.toContain('sleep 1000');
  });

  it('binds share directories read-only and keeps the image unchanged', async () => {
    await guest().createContainer({
      name: 'writer',
      rootfs,
      argv: ['sleep', '1000'],
      env,
      mounts: [{ source: 'volumes/config', destination: '/etc/config', readonly: true }],
    });
    const r = await guest().execSync({
      container: 'writer',
      argv: [
        'sh',
        '-c',
        'cat /etc/config/greeting; echo changed > /etc/written && cat /etc/written; echo x > /etc/config/new || echo refused',
      ],
      env,
    });
    expect(r.stdout.toString()).toBe('hello from the host\nchanged\nrefused\n');
    expect(r.stderr.toString()).toMatch(/Read-only file system/);
    expect(existsSync(join(share, rootfs, 'etc', 'written'))).toBe(false);
    expect(readdirSync(join(share, 'volumes', 'config'))).toEqual(['greeting']);
  });

  it('follows no link of the image out of the container (hostname file, mount points)', async () => {
    await guest().createContainer({
      name: 'linked',
      rootfs: 'images/linked',
      argv: ['sh', '-c', 'cat /data/escape/greeting'],
      env,
      mounts: [{ source: 'volumes/config', destination: '/data/escape', readonly: true }],
    });
    expect(await events.exitOf('linked')).toMatchObject({ exitCode: 0 });
    expect(events.outputOf('linked').stdout).toBe('hello from the host\n');
    expect(readFileSync(join(share, 'volumes', 'config', 'greeting'), 'utf8')).toBe(
      'hello from the host\n',
    );
    expect(readdirSync(join(share, 'volumes'))).toEqual(['config']);
    await guest().removeContainer('linked');
  });

  it.each([
    ['a missing executable', { argv: ['no-such-program'] }, 'Invalid', /no-such-program/],
    ['a rootfs outside the share', { rootfs: '../etc' }, 'Invalid', /rootfs/],
    ['a rootfs that does not exist', { rootfs: 'images/none' }, 'Invalid', /not a directory/],
    ['a bad name', { name: 'no/slash' }, 'Invalid', /name/],
    ['a relative cwd', { cwd: 'tmp' }, 'Invalid', /cwd/],
    ['a name in use', { name: 'sleeper' }, 'AlreadyExists', /exists/],
  ])('refuses %s and creates nothing', async (_, change, code, message) => {
    const before = await guest().listContainers();
    await expect(
      guest().createContainer({ name: 'bad', rootfs, argv: ['true'], env, ...change }),
    ).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    expect(await guest().listContainers()).toEqual(before);
  });

  it('answers a request type it does not know with Invalid and keeps serving', async () => {
    await expect(guest().request(0x0e as FrameType, [['x', 'y']])).rejects.toMatchObject({
      code: 'Invalid',
      message: expect.stringContaining('unknown frame type 0x0e'),
    });
    expect((await guest().hello(10_000)).hostname).toBe(hostname);
  });

  it('refuses an exec in a container that has ended or does not exist', async () => {
    await expect(
      guest().execSync({ container: 'once', argv: ['true'], env }),
    ).rejects.toMatchObject({ code: 'FailedPrecondition' });
    await expect(
      guest().execSync({ container: 'nobody', argv: ['true'], env }),
    ).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('feeds a container its stdin', async () => {
    await guest().createContainer({
      name: 'reader',
      rootfs,
      argv: ['sh', '-c', 'read a; read b; echo "$b $a"'],
      env,
      stdin: true,
    });
    expect(guest().writeContainerStdin('reader', 'first\nsecond\n')).toBe(true);
    expect(await events.exitOf('reader')).toEqual({ exitCode: 0, timedOut: false });
    expect(events.outputOf('reader').stdout).toBe('second first\n');
    expect(guest().writeContainerStdin('nobody', 'x')).toBe(false);
  });

  it('serves a new connection: HELLO again, LIST tells the containers', async () => {
    await guest().close();
    channel = await GuestChannel.connect(join(vm?.dir ?? '', 'agent.sock'));
    events = new Events(channel);
    expect((await guest().hello(10_000)).hostname).toBe(hostname);
    const listed = await guest().listContainers();
    expect(listed.find((c) => c.name === 'sleeper')).toMatchObject({ state: 'running' });
    expect(listed.find((c) => c.name === 'once')).toMatchObject({ state: 'exited' });
    // The new channel's ids start above the guest's live ones, so this exec is accepted.
    const r = await guest().execSync({ container: 'sleeper', argv: ['echo', 'again'], env });
    expect(r.stdout.toString()).toBe('again\n');
  });

  it('removes containers, running or not, and forgets them', async () => {
    await guest().removeContainer('web');
    expect(await events.exitOf('web')).toMatchObject({ signal: 9 });
    for (const name of ['once', 'sleeper', 'victim', 'writer', 'reader']) {
      await guest().removeContainer(name);
    }
    await guest().removeContainer('never-existed');
    expect(await guest().listContainers()).toEqual([]);
  });

  it('powers off: qemu exits', async () => {
    const pid = vm?.pid ?? -1;
    await guest().shutdown();
    const deadline = Date.now() + 30_000;
    let alive = true;
    while (alive && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        process.kill(pid, 0);
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  });
});
