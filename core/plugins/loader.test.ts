import 'reflect-metadata';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { container } from 'tsyringe';
import { afterAll, describe, expect, it } from 'vitest';
import { isSkiffError, type SkiffError } from '../../sdk/errors.ts';
import type { Logger } from '../../sdk/plugin.ts';
import { type NodeInfo, schedulerPluginExtension } from '../../sdk/scheduler.ts';
import {
  clockToken,
  clusterSettingsToken,
  loggerToken,
  pluginConfigToken,
} from '../../sdk/tokens.ts';
import { volumeTypeExtension } from '../../sdk/volume.ts';
import { type LoadPluginsOptions, loadPlugins } from './loader.ts';

const examples = fileURLToPath(new URL('../../test/plugins/', import.meta.url));
const refused = join(examples, 'refused');
const scratch = mkdtempSync(join(tmpdir(), 'skiff-loader-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Line {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

function recorder(): Logger & { lines: Line[]; said(msg: string): string[] } {
  const lines: Line[] = [];
  const at =
    (level: string) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      lines.push({ level, msg, fields });
    };
  return {
    lines,
    said: (msg) => lines.filter((l) => l.msg === msg).map((l) => String(l.fields.plugin)),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
}

const fixedTime = new Date('2030-01-02T03:04:05.000Z');

function parent() {
  const c = container.createChildContainer();
  c.register(clockToken, { useValue: { now: () => fixedTime } });
  c.register(clusterSettingsToken, { useValue: { store: { kind: 'sqlite' } } });
  return c;
}

async function refusal(opts: Partial<LoadPluginsOptions> & Pick<LoadPluginsOptions, 'sources'>) {
  const logger = recorder();
  let thrown: unknown;
  try {
    await loadPlugins({ baseDir: refused, logger, container: parent(), ...opts });
  } catch (err) {
    thrown = err;
  }
  expect(isSkiffError(thrown)).toBe(true);
  return { err: thrown as SkiffError, logger };
}

const node = (labels: Record<string, string>): NodeInfo => ({
  node: { metadata: { name: 'n1', labels } },
  pods: [],
});

describe('loadPlugins with compatible plugins', () => {
  it('registers a plugin from a path and one from a package directory, and calls them', async () => {
    const logger = recorder();
    const loaded = await loadPlugins({
      sources: [
        { source: './prefer-labelled.ts', config: { label: 'example.com/fast-disk' } },
        './acme-volume',
      ],
      baseDir: examples,
      logger,
      container: parent(),
    });
    try {
      expect(loaded.plugins.map((p) => [p.id, p.version, p.sourceKind])).toEqual([
        ['prefer-labelled', '1.0.0', 'path'],
        ['acme-volume', '0.3.0', 'path'],
      ]);
      expect(logger.said('registered')).toEqual(['prefer-labelled']);

      const score = loaded.extension(schedulerPluginExtension, 'PreferLabelled');
      expect(score?.name).toBe('PreferLabelled');
      const empty = { read: () => undefined, write: () => {} };
      const pod = { metadata: { name: 'p' } };
      await expect(
        score?.score?.(empty, pod, node({ 'example.com/fast-disk': '' })),
      ).resolves.toMatchObject({ score: 100 });
      await expect(score?.score?.(empty, pod, node({ other: '' }))).resolves.toMatchObject({
        score: 0,
      });
      expect([...loaded.extensions(schedulerPluginExtension).keys()]).toEqual(['PreferLabelled']);

      // The volume type got the clock core registered in the parent container.
      const volume = loaded.extension(volumeTypeExtension, 'acme-scratch');
      const dir = join(scratch, 'vol');
      const req = {
        podUid: 'u1',
        podNamespace: 'default',
        volumeName: 'v',
        source: { acmeScratch: {} },
        dir,
      };
      await expect(volume?.setUp(req)).resolves.toEqual({
        hostPath: join(dir, 'data'),
        readOnly: false,
      });
      expect(readFileSync(join(dir, 'created-at'), 'utf8')).toBe(fixedTime.toISOString());
      expect(loaded.extension(volumeTypeExtension, 'missing')).toBeUndefined();
    } finally {
      await loaded.close();
    }
    expect(logger.said('closed')).toEqual(['prefer-labelled']);
  });

  it('gives each plugin a child container that sees core tokens and its own logger and config', async () => {
    const logger = recorder();
    const loaded = await loadPlugins({
      sources: ['./prefer-labelled.ts', './acme-volume'],
      config: { 'prefer-labelled': { label: 'by-id' } },
      baseDir: examples,
      logger,
      container: parent(),
    });
    try {
      const [prefer, acme] = loaded.plugins;
      expect(prefer?.container.resolve(clockToken).now()).toEqual(fixedTime);
      expect(prefer?.container.resolve(clusterSettingsToken)).toEqual({
        store: { kind: 'sqlite' },
      });
      expect(prefer?.container.resolve(pluginConfigToken)).toEqual({ label: 'by-id' });
      expect(acme?.container.resolve(pluginConfigToken)).toEqual({});
      acme?.container.resolve(loggerToken).warn('hello');
      expect(logger.lines.at(-1)).toEqual({
        level: 'warn',
        msg: 'hello',
        fields: { plugin: 'acme-volume' },
      });
      expect(logger.lines.find((l) => l.msg === 'registered')?.fields).toEqual({
        plugin: 'prefer-labelled',
        label: 'by-id',
      });
    } finally {
      await loaded.close();
    }
  });

  it('registers a core logger and clock when the parent container has none', async () => {
    const loaded = await loadPlugins({
      sources: ['./acme-volume'],
      baseDir: examples,
      logger: recorder(),
    });
    try {
      expect(loaded.plugins[0]?.container.resolve(clockToken).now()).toBeInstanceOf(Date);
    } finally {
      await loaded.close();
    }
    expect(container.isRegistered(clockToken, true)).toBe(false);
  });

  it('loads an installed package by name, found from the config directory', async () => {
    const project = join(scratch, 'project');
    mkdirSync(join(project, 'node_modules'), { recursive: true });
    symlinkSync(join(examples, 'acme-volume'), join(project, 'node_modules', 'acme-skiff-volume'));
    const loaded = await loadPlugins({
      sources: ['acme-skiff-volume'],
      baseDir: join(project, 'conf'),
      logger: recorder(),
    });
    try {
      expect(loaded.plugins.map((p) => [p.id, p.sourceKind, p.file])).toEqual([
        ['acme-volume', 'package', join(examples, 'acme-volume', 'index.ts')],
      ]);
      expect(loaded.extension(volumeTypeExtension, 'acme-scratch')?.sourceField).toBe(
        'acmeScratch',
      );
    } finally {
      await loaded.close();
    }
  });

  it('loads a built-in plugin by id from the built-in folder', async () => {
    const loaded = await loadPlugins({
      sources: ['acme-volume'],
      builtinDir: examples,
      baseDir: scratch,
      logger: recorder(),
    });
    try {
      expect(loaded.plugins.map((p) => [p.id, p.sourceKind])).toEqual([['acme-volume', 'builtin']]);
    } finally {
      await loaded.close();
    }
  });
});

describe('loadPlugins refusals stop loading before any register()', () => {
  it('refuses a plugin built for sdk ^2 on a 1.x sdk', async () => {
    const { err, logger } = await refusal({
      sources: ['../prefer-labelled.ts', './needs-sdk-2.ts'],
      sdkVersion: '1.0.0',
    });
    expect(err.code).toBe('PluginIncompatible');
    expect(err.message).toBe(
      'plugin "acme-scheduler" 2.1.0 needs sdk ^2.0.0 but this skiff provides sdk 1.0.0: install a version of acme-scheduler built for sdk 1.x, or upgrade skiff to a version whose sdk satisfies ^2.0.0',
    );
    expect(logger.said('registered')).toEqual([]);
  });

  it('accepts the same plugin when the running sdk is 2.x', async () => {
    const loaded = await loadPlugins({
      sources: ['./needs-sdk-2.ts'],
      baseDir: refused,
      sdkVersion: '2.3.0',
      logger: recorder(),
    });
    expect(loaded.plugins.map((p) => p.id)).toEqual(['acme-scheduler']);
    await loaded.close();
  });

  it.each<[string, string[], string, RegExp]>([
    [
      'a duplicate id',
      ['../prefer-labelled.ts', './duplicate-id.ts'],
      'PluginDuplicate',
      /^plugin id "prefer-labelled" is used twice: 1\.0\.0 from "\.\.\/prefer-labelled\.ts" and 1\.1\.0 from "\.\/duplicate-id\.ts"/,
    ],
    [
      'a missing requirement',
      ['../prefer-labelled.ts', './missing-requirement.ts'],
      'PluginMissingRequirement',
      /^plugin "nfs-backup" 0\.1\.0 requires extension "volume-type\/nfs", which no configured plugin provides/,
    ],
    [
      'a module without a default export',
      ['../prefer-labelled.ts', './no-default-export.ts'],
      'PluginInvalid',
      /^plugin source "\.\/no-default-export\.ts" has no default export/,
    ],
    [
      'a definition definePlugin rejects',
      ['../prefer-labelled.ts', './invalid-definition.ts'],
      'PluginInvalid',
      /^plugin "Acme_Quota" is not a valid plugin definition: id "Acme_Quota" must be kebab-case.* \(plugin source "\.\/invalid-definition\.ts", .*invalid-definition\.ts\)$/,
    ],
    [
      'a path that does not exist',
      ['../prefer-labelled.ts', './gone.ts'],
      'PluginInvalid',
      /^plugin source "\.\/gone\.ts" does not exist \(looked for .*refused\/gone\.ts/,
    ],
    [
      'a package that is not installed',
      ['../prefer-labelled.ts', 'acme-not-installed'],
      'PluginInvalid',
      /is neither a built-in plugin .* nor a package installed where .* can find it: install it with "npm install acme-not-installed"/,
    ],
  ])('refuses %s', async (_, sources, code, message) => {
    const { err, logger } = await refusal({ sources });
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(logger.said('registered')).toEqual([]);
  });

  it('reports every refusal of one kind together', async () => {
    const { err } = await refusal({ sources: ['./gone.ts', './missing.ts'] });
    expect(err.message).toMatch(
      /^2 plugin problems stop start-up:\n {2}- plugin source "\.\/gone\.ts".*\n {2}- plugin source "\.\/missing\.ts"/,
    );
    expect(err.causes).toHaveLength(2);
  });
});

describe('loadPlugins rolls back when registering fails', () => {
  it('closes the plugins registered before a register() that throws', async () => {
    const { err, logger } = await refusal({
      sources: ['../prefer-labelled.ts', './throws-in-register.ts'],
    });
    expect(err.code).toBe('PluginRegisterFailed');
    expect(err.message).toMatch(
      /^plugin "throws-in-register" 0\.1\.0 failed to register: cannot reach the acme control plane; nothing was started/,
    );
    expect(logger.said('registered')).toEqual(['prefer-labelled']);
    expect(logger.said('closed')).toEqual(['prefer-labelled']);
  });

  it('refuses a plugin that provides an extension it did not declare', async () => {
    const { err } = await refusal({ sources: ['./provides-undeclared.ts'] });
    expect(err.code).toBe('PluginInvalid');
    expect(err.message).toBe(
      'plugin "provides-undeclared" 0.1.0 provided "volume-type/sneaky", which its definition does not declare: add "volume-type/sneaky" to provides',
    );
  });

  it('refuses a plugin whose register() rejects its config', async () => {
    const { err, logger } = await refusal({
      sources: [{ source: '../prefer-labelled.ts', config: { label: 7 } }],
    });
    expect(err.code).toBe('PluginRegisterFailed');
    expect(err.message).toMatch(/config\.label must be a string, not 7/);
    expect(logger.said('registered')).toEqual([]);
  });

  it('refuses a plugin that declares an extension and never provides it', async () => {
    const file = join(scratch, 'lazy.ts');
    const sdk = new URL('../../sdk/index.ts', import.meta.url).href;
    writeFileSync(
      file,
      `import { definePlugin } from '${sdk}';\nexport default definePlugin({ id: 'lazy', version: '1.0.0', sdk: '^1', provides: ['runtime/lazy'], register() {} });\n`,
    );
    const { err } = await refusal({ sources: [file] });
    expect(err.code).toBe('PluginInvalid');
    expect(err.message).toMatch(
      /^plugin "lazy" 1\.0\.0 declares "runtime\/lazy" in provides but did not provide it/,
    );
  });

  it('refuses a plugin that provides after register() has finished', async () => {
    const file = join(scratch, 'late.ts');
    const sdk = new URL('../../sdk/index.ts', import.meta.url).href;
    writeFileSync(
      file,
      `import { definePlugin, volumeTypeExtension } from '${sdk}';
export let late: unknown;
export default definePlugin({ id: 'late', version: '1.0.0', sdk: '^1', provides: ['volume-type/late'],
  register(ctx) {
    ctx.provide(volumeTypeExtension, 'late', undefined as never);
    late = () => ctx.provide(volumeTypeExtension, 'late', undefined as never);
  } });
`,
    );
    const loaded = await loadPlugins({ sources: [file], logger: recorder() });
    const mod = (await import(file)) as { late: () => void };
    expect(() => mod.late()).toThrow(
      /^plugin "late" 1\.0\.0 provided "volume-type\/late" after register\(\) finished/,
    );
    await loaded.close();
  });
});

describe('plugins that build on each other', () => {
  it('register after what they require and reach it through ctx.extension', async () => {
    const file = join(scratch, 'reporter.ts');
    const sdk = new URL('../../sdk/index.ts', import.meta.url).href;
    writeFileSync(
      file,
      `import { definePlugin, volumeTypeExtension, controllerExtension, done } from '${sdk}';
export default definePlugin({ id: 'scratch-reporter', version: '1.0.0', sdk: '^1', provides: ['controller/scratch-reporter'],
  requires: ['volume-type/acme-scratch'],
  register(ctx) {
    const scratch = ctx.extension(volumeTypeExtension, 'acme-scratch');
    ctx.logger.info('found', { sourceField: scratch?.sourceField });
    ctx.provide(controllerExtension, 'scratch-reporter', {
      name: 'scratch-reporter', owns: { apiVersion: 'v1', kind: 'Pod' },
      reconciler: { reconcile: async () => done } });
  } });
`,
    );
    const logger = recorder();
    // Listed before its requirement, it still registers after it.
    const loaded = await loadPlugins({ sources: [file, join(examples, 'acme-volume')], logger });
    try {
      expect(loaded.plugins.map((p) => p.id)).toEqual(['acme-volume', 'scratch-reporter']);
      expect(logger.lines.find((l) => l.msg === 'found')?.fields).toEqual({
        plugin: 'scratch-reporter',
        sourceField: 'acmeScratch',
      });
    } finally {
      await loaded.close();
    }
  });
});
