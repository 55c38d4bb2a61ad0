import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isSkiffError } from '../errors.ts';
import { ociSeccomp, readSeccompProfile, runtimeDefaultSeccomp, seccompChoice } from './seccomp.ts';

describe('seccompChoice', () => {
  it.each([
    ['no context', undefined, { kind: 'unconfined' }],
    ['an empty context', { seccomp: null, seccompProfilePath: '' }, { kind: 'unconfined' }],
    [
      'RuntimeDefault',
      { seccomp: { profileType: 'RuntimeDefault', localhostRef: '' } },
      { kind: 'runtime-default' },
    ],
    [
      'Unconfined',
      { seccomp: { profileType: 'Unconfined', localhostRef: '' } },
      { kind: 'unconfined' },
    ],
    [
      'Localhost',
      { seccomp: { profileType: 'Localhost', localhostRef: '/p/x.json' } },
      { kind: 'localhost', path: '/p/x.json' },
    ],
    [
      'the legacy runtime/default',
      { seccompProfilePath: 'runtime/default' },
      { kind: 'runtime-default' },
    ],
    [
      'the legacy docker/default',
      { seccompProfilePath: 'docker/default' },
      { kind: 'runtime-default' },
    ],
    [
      'the legacy localhost/ path',
      { seccompProfilePath: 'localhost//p/y.json' },
      { kind: 'localhost', path: '/p/y.json' },
    ],
  ] as const)('%s', (_title, context, expected) => {
    expect(seccompChoice(context as never)).toEqual(expected);
  });

  it.each([
    [
      'a relative Localhost path',
      { seccomp: { profileType: 'Localhost', localhostRef: 'x.json' } },
    ],
    ['an unknown legacy name', { seccompProfilePath: 'strict' }],
  ])('refuses %s as Invalid', (_title, context) => {
    let err: unknown;
    try {
      seccompChoice(context as never);
    } catch (e) {
      err = e;
    }
    expect(isSkiffError(err, 'Invalid')).toBe(true);
  });
});

describe('readSeccompProfile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-seccomp-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it.each([
    ['a missing file', 'missing.json', undefined],
    ['a file that is not JSON', 'bad.json', '{'],
    ['a profile with no defaultAction', 'empty.json', '{"syscalls":[]}'],
  ])('refuses %s as Invalid', (_title, name, text) => {
    const path = join(dir, name);
    if (text !== undefined) writeFileSync(path, text);
    let err: unknown;
    try {
      readSeccompProfile(path);
    } catch (e) {
      err = e;
    }
    expect(isSkiffError(err, 'Invalid')).toBe(true);
  });
});

describe('ociSeccomp', () => {
  const file = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    archMap: [
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    ],
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
      { name: 'close', action: 'SCMP_ACT_ALLOW' },
      { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8' } },
      { names: ['newer'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '99.0' } },
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', excludes: { caps: ['CAP_SYS_ADMIN'] } },
    ],
  };
  it('keeps the rules whose conditions hold for the capabilities and kernel', () => {
    const spec = ociSeccomp(file, ['CAP_CHOWN'], '6.1.0-13-amd64');
    expect(spec.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(spec.defaultErrnoRet).toBe(1);
    expect(spec.syscalls.map((r) => r.names)).toEqual([
      ['read', 'write'],
      ['close'],
      ['ptrace'],
      ['clone'],
    ]);
    const admin = ociSeccomp(file, ['CAP_SYS_ADMIN'], '4.19.0');
    expect(admin.syscalls.flatMap((r) => r.names)).toEqual([
      'read',
      'write',
      'close',
      'mount',
      'ptrace',
    ]);
  });
  it("maps the machine's architecture with its sub-architectures", () => {
    const spec = ociSeccomp(file, [], '6.1.0');
    expect(spec.architectures?.[0]).toBe(
      process.arch === 'arm64' ? 'SCMP_ARCH_AARCH64' : 'SCMP_ARCH_X86_64',
    );
  });
  it('the runtime default allows by default and refuses the listed calls with EPERM', () => {
    const d = runtimeDefaultSeccomp();
    expect(d.defaultAction).toBe('SCMP_ACT_ALLOW');
    expect(d.syscalls).toHaveLength(1);
    expect(d.syscalls[0]).toMatchObject({ action: 'SCMP_ACT_ERRNO', errnoRet: 1 });
    expect(d.syscalls[0]?.names).toEqual(expect.arrayContaining(['kexec_load', 'unshare', 'bpf']));
  });
});
