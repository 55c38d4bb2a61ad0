import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { grpcCode } from '../../../sdk/errors.ts';
import type { SecurityProfile } from '../../../sdk/runtime/generated/runtime/v1/SecurityProfile.ts';
import {
  badInputCodes,
  caseUnlessRuledOut,
  containerConfig,
  eventually,
  grpcFailure,
  hostDir,
  parseCriLog,
  type SuiteContext,
  waitContainerState,
  withPod,
} from './support.ts';

// The container reports its seccomp mode (0: none, 2: a filter) and whether mkdir works.
const probe =
  'echo "seccomp $(sed -n "s/^Seccomp:[[:space:]]*//p" /proc/self/status)"; mkdir /tmp/made && echo mkdir-ok || echo mkdir-refused';

/** securityCases: seccomp profiles from the container's security context. */
export function securityCases(ctx: SuiteContext): void {
  describe('security', () => {
    caseUnlessRuledOut(
      ctx,
      'seccomp',
      'applies the seccomp profile a container asks for: none, the runtime default, or a profile file on the node',
      async () => {
        const profile = join(hostDir(ctx, 'seccomp'), 'no-mkdir.json');
        writeFileSync(
          profile,
          JSON.stringify({
            defaultAction: 'SCMP_ACT_ALLOW',
            syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
          }),
        );
        await withPod(ctx, 'seccomp', async (pod) => {
          const run = async (name: string, seccomp?: SecurityProfile) => {
            const id = await pod.start(
              containerConfig(ctx, name, ['sh', '-c', probe], {
                linux: { securityContext: seccomp ? { seccomp } : {} },
              }),
            );
            await waitContainerState(ctx.client, id, 'CONTAINER_EXITED');
            return eventually(async () => {
              const lines = parseCriLog(
                readFileSync(join(pod.config.logDirectory!, `${name}.log`), 'utf8'),
              )
                .filter((l) => l.stream === 'stdout')
                .map((l) => l.message);
              expect(lines).toHaveLength(2);
              return lines;
            });
          };
          expect(await run('none')).toEqual(['seccomp 0', 'mkdir-ok']);
          expect(await run('unconfined', { profileType: 'Unconfined' })).toEqual([
            'seccomp 0',
            'mkdir-ok',
          ]);
          expect(await run('default', { profileType: 'RuntimeDefault' })).toEqual([
            'seccomp 2',
            'mkdir-ok',
          ]);
          expect(await run('file', { profileType: 'Localhost', localhostRef: profile })).toEqual([
            'seccomp 2',
            'mkdir-refused',
          ]);
        });
      },
    );

    it('refuses a seccomp profile file that does not exist, and creates nothing', async () => {
      await withPod(ctx, 'seccomp-bad', async (pod) => {
        const err = await grpcFailure(
          ctx.client.createContainer({
            podSandboxId: pod.id,
            config: containerConfig(ctx, 'nofile', ['true'], {
              linux: {
                securityContext: {
                  seccomp: {
                    profileType: 'Localhost',
                    localhostRef: join(ctx.tmp, 'no-such-profile.json'),
                  },
                },
              },
            }),
            sandboxConfig: pod.config,
          }),
        );
        expect(badInputCodes(ctx, grpcCode.INVALID_ARGUMENT)).toContain(err.grpcCode);
        const { containers } = await ctx.client.listContainers({
          filter: { podSandboxId: pod.id },
        });
        expect(containers).toEqual([]);
      });
    });
  });
}
