import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImages, fixtureImageNames } from '../fixtures/images/index.ts';
import { type Dockerd, startDockerd } from './dockerd.ts';

let dockerd: Dockerd;
beforeAll(async () => {
  dockerd = await startDockerd();
});
afterAll(async () => {
  await dockerd?.stop();
});

async function runToEnd(image: string, cmd: string[]): Promise<{ code: number; out: string }> {
  const c = await dockerd.docker.createContainer({
    Image: image,
    Cmd: cmd,
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    const logs = (await c.logs({ stdout: true, stderr: true })) as Buffer;
    // Multiplexed frames: 8-byte header then payload.
    let out = '';
    for (let i = 0; i + 8 <= logs.length; ) {
      const size = logs.readUInt32BE(i + 4);
      out += logs.subarray(i + 8, i + 8 + size).toString('utf8');
      i += 8 + size;
    }
    return { code: StatusCode, out };
  } finally {
    await c.remove({ force: true });
  }
}

describe('fixture images on a private dockerd', () => {
  it('docker load accepts the archive and keeps every name', async () => {
    const archive = await buildImages();
    const loaded = await dockerd.loadImages(archive.path);
    expect(loaded.sort()).toEqual(
      [
        'skiff.local/busybox:1',
        'skiff.local/pause:1',
        'nginx:1.7.9',
        'centos:7',
        'gvenkat/vote:v1',
        'stephengrider/multi-client:latest',
        'gcr.io/google-containers/fluentd-elasticsearch:1.20',
      ].sort(),
    );
    expect(fixtureImageNames).toHaveLength(7);
    const inspected = await dockerd.docker.getImage('nginx:1.7.9').inspect();
    expect(inspected.Id).toBe(archive.images.find((i) => i.ref === 'nginx:1.7.9')?.id);
    expect(inspected.Config.ExposedPorts).toEqual({ '80/tcp': {} });
  });

  it('centos:7 runs the seed job script with bin/bash', async () => {
    const r = await runToEnd('centos:7', ['bin/bash', '-c', 'for i in 3 2 1 ; do echo $i ; done']);
    expect(r).toEqual({ code: 0, out: '3\n2\n1\n' });
  });

  it('busybox has its applets, passwd and a writable /tmp', async () => {
    const r = await runToEnd('skiff.local/busybox:1', [
      'sh',
      '-c',
      'id -un && touch /tmp/x && ls -ld /tmp | cut -c1-10 && which wget',
    ]);
    expect(r).toEqual({ code: 0, out: 'root\ndrwxrwxrwt\n/usr/bin/wget\n' });
  });

  it('the pause container exits 0 on SIGTERM well before the stop timeout', async () => {
    const c = await dockerd.docker.createContainer({
      Image: 'skiff.local/pause:1',
      HostConfig: { NetworkMode: 'none' },
    });
    try {
      await c.start();
      await c.stop({ t: 30 });
      const state = (await c.inspect()).State;
      // 0 means the trap ran; a SIGKILL after the timeout would give 137.
      expect(state.ExitCode).toBe(0);
    } finally {
      await c.remove({ force: true });
    }
  });

  it('the nginx stand-in answers HTTP on port 80', async () => {
    const r = await runToEnd('nginx:1.7.9', [
      'sh',
      '-c',
      'httpd -p 80 -h /usr/share/nginx/html && sleep 0.3 && wget -q -O - http://127.0.0.1:80/',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Welcome to nginx!');
  });
});
