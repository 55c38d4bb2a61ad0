import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { grpcCode } from '../../../sdk/errors.ts';
import type { RuntimeClient } from '../../../sdk/runtime/client.ts';
import type { ContainerConfig } from '../../../sdk/runtime/generated/runtime/v1/ContainerConfig.ts';
import type { PodSandboxConfig } from '../../../sdk/runtime/generated/runtime/v1/PodSandboxConfig.ts';
import { RuntimeCallError } from '../../../sdk/runtime/grpc-status.ts';

/** RuntimeUnderTest is what a suite's setup hands over: a runtime.v1 endpoint and its images. */
export interface RuntimeUnderTest {
  /** endpoint is `unix:///path` of a socket serving runtime.v1. */
  endpoint: string;
  /** importImage loads an image tarball (OCI layout + docker save) into the runtime's store. */
  importImage(tarPath: string): Promise<void>;
  /** teardown removes everything the runtime made and stops it. */
  teardown(): Promise<void>;
}

/** SuiteEnvironment is what the suite prepares before calling setup. */
export interface SuiteEnvironment {
  /** registry is `127.0.0.1:<port>` of a plain-HTTP registry the runtime must pull from. */
  registry: string;
}

/** SuiteContext holds what every case uses; filled in by the suite's beforeAll. */
export interface SuiteContext {
  client: RuntimeClient;
  registry: string;
  /** busybox is the local busybox image reference. */
  busybox: string;
  /** pulled is the reference of an image in the registry and not yet in the runtime. */
  pulled: string;
  tmp: string;
  /** options are the suite's options for this runtime. */
  options: SuiteOptions;
}

/** SuiteOptions tune the suite for one runtime. */
export interface SuiteOptions {
  /**
   * skiffAdapter marks one of skiff's own adapters: it must declare its capabilities (read over
   * the wire with a verbose Status) and answer bad input with the exact code (INVALID_ARGUMENT,
   * ALREADY_EXISTS) where the reference answers UNKNOWN.
   */
  skiffAdapter?: boolean;
  /**
   * ruledOut lists the cases this runtime's isolation model rules out, each with its reason.
   * A ruled-out case does not run its body: it runs a check that the runtime says so itself
   * (the capability is not declared and the call answers UNIMPLEMENTED), and its title
   * carries the reason, so the exception is visible in every run rather than skipped.
   */
  ruledOut?: Partial<Record<RuledOutCase, string>>;
}

/** RuledOutCase names a case a runtime may rule out, with the capability that backs it. */
export type RuledOutCase = 'container-stats' | 'seccomp';

const ruledOutChecks: Record<RuledOutCase, (ctx: SuiteContext) => Promise<void>> = {
  'container-stats': async (ctx) => {
    const caps = await ctx.client.capabilities();
    expect(caps?.stats).toBe(false);
    const err = await grpcFailure(ctx.client.containerStats({ containerId: 'no-such-container' }));
    expect(err.grpcCode).toBe(grpcCode.UNIMPLEMENTED);
  },
  // A profile is accepted and the container runs; the runtime declares it does not filter.
  seccomp: async (ctx) => {
    const caps = await ctx.client.capabilities();
    expect(caps?.seccomp ?? false).toBe(false);
    await withPod(ctx, 'seccomp-vm', async (pod) => {
      const id = await pod.start(
        containerConfig(ctx, 'default', ['true'], {
          linux: { securityContext: { seccomp: { profileType: 'RuntimeDefault' } } },
        }),
      );
      const exited = await waitContainerState(ctx.client, id, 'CONTAINER_EXITED');
      expect(exited.exitCode).toBe(0);
    });
  },
};

/**
 * caseUnlessRuledOut defines a case, or, when the runtime rules it out, a case that checks the
 * runtime declares it unsupported, titled with the reason.
 */
export function caseUnlessRuledOut(
  ctx: SuiteContext,
  key: RuledOutCase,
  title: string,
  body: () => Promise<void>,
): void {
  const reason = ctx.options.ruledOut?.[key];
  if (!reason) {
    it(title, body);
    return;
  }
  it(`${title}: ruled out for this runtime, because ${reason}`, () => ruledOutChecks[key](ctx));
}

/** badInputCodes lists the codes accepted for malformed input: the precise one, or also UNKNOWN as the reference answers. */
export function badInputCodes(ctx: SuiteContext, precise: number): number[] {
  return ctx.options.skiffAdapter ? [precise] : [precise, grpcCode.UNKNOWN];
}

/** conformanceNamespace marks every sandbox the suite makes. */
export const conformanceNamespace = 'skiff-conformance';

let counter = 0;

/** sandboxConfig makes a unique sandbox config with a fresh log directory. */
export function sandboxConfig(
  ctx: SuiteContext,
  name: string,
  extra: Partial<PodSandboxConfig> = {},
): PodSandboxConfig {
  counter += 1;
  const logDirectory = mkdtempSync(join(ctx.tmp, `${name}-`));
  return {
    metadata: {
      name: `${name}-${counter}`,
      uid: `uid-${process.pid}-${Date.now()}-${counter}`,
      namespace: conformanceNamespace,
      attempt: 0,
    },
    hostname: `${name}-host`,
    logDirectory,
    labels: { suite: 'conformance', case: name },
    annotations: { 'skiff.io/case': name },
    linux: {},
    ...extra,
  };
}

/** hostDir makes a fresh directory on the host for mounts. */
export function hostDir(ctx: SuiteContext, name: string): string {
  const dir = join(ctx.tmp, `mount-${name}-${++counter}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** grpcFailure awaits a call that must fail and returns its gRPC code. */
export async function grpcFailure(call: Promise<unknown>): Promise<RuntimeCallError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof RuntimeCallError) return err;
    throw err;
  }
  throw new Error('the call succeeded but was expected to fail');
}

/** eventually retries a check until it passes or the attempts run out, then rethrows. */
export async function eventually<T>(
  check: () => Promise<T>,
  attempts = 100,
  delayMs = 100,
): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await check();
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
  throw last;
}

/** waitContainerState polls ContainerStatus until the container reaches a state. */
export async function waitContainerState(
  client: RuntimeClient,
  id: string,
  state: string,
  attempts = 300,
) {
  return eventually(async () => {
    const { status } = await client.containerStatus({ containerId: id });
    expect(status?.state).toBe(state);
    return status!;
  }, attempts);
}

/** CriLogLine is one parsed line of a container log in the CRI format. */
export interface CriLogLine {
  time: string;
  stream: string;
  tag: string;
  message: string;
}

const criLogLine =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})) (stdout|stderr) ([FP]) (.*)$/;

/** parseCriLog splits a CRI log file into lines, failing on a line of another shape. */
export function parseCriLog(text: string): CriLogLine[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = criLogLine.exec(l);
      if (!m) throw new Error(`not a CRI log line: ${JSON.stringify(l)}`);
      return { time: m[1]!, stream: m[2]!, tag: m[3]!, message: m[4]! };
    });
}

/** containerConfig makes a busybox container config logging to `<name>.log` in the sandbox's log directory. */
export function containerConfig(
  ctx: SuiteContext,
  name: string,
  command: string[],
  extra: Partial<ContainerConfig> = {},
): ContainerConfig {
  return {
    metadata: { name, attempt: 0 },
    image: { image: ctx.busybox },
    command,
    logPath: `${name}.log`,
    labels: { container: name },
    linux: {},
    ...extra,
  };
}

/** Pod is a running sandbox made for one case, with what creating containers in it needs. */
export interface Pod {
  id: string;
  config: PodSandboxConfig;
  /** start creates and starts a container and returns its id. */
  start(config: ContainerConfig): Promise<string>;
}

/** withPod runs a case in a fresh sandbox and removes the sandbox afterwards, whatever happens. */
export async function withPod(
  ctx: SuiteContext,
  name: string,
  body: (pod: Pod) => Promise<void>,
  extra: Partial<PodSandboxConfig> = {},
): Promise<void> {
  const config = sandboxConfig(ctx, name, extra);
  const { podSandboxId: id } = await ctx.client.runPodSandbox({ config });
  try {
    await body({
      id,
      config,
      async start(container) {
        const { containerId } = await ctx.client.createContainer({
          podSandboxId: id,
          config: container,
          sandboxConfig: config,
        });
        await ctx.client.startContainer({ containerId });
        return containerId;
      },
    });
  } finally {
    await ctx.client.stopPodSandbox({ podSandboxId: id }).catch(() => {});
    await ctx.client.removePodSandbox({ podSandboxId: id });
  }
}
