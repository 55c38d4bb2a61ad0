import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pluginIdPattern } from '../../sdk/plugin.ts';

/** builtinPluginsDir is the plugins/ folder of this skiff, found from this file's own place. */
export const builtinPluginsDir = fileURLToPath(new URL('../../plugins/', import.meta.url));

/** builtinPluginEntry is the entry file of built-in plugin `id`, or undefined when there is none. */
export function builtinPluginEntry(id: string, dir = builtinPluginsDir): string | undefined {
  if (!pluginIdPattern.test(id)) return undefined;
  const entry = join(dir, id, 'index.ts');
  return existsSync(entry) ? entry : undefined;
}

/** builtinPluginIds lists the built-in plugins: folders under plugins/ with an index.ts. */
export async function builtinPluginIds(dir = builtinPluginsDir): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && builtinPluginEntry(e.name, dir) !== undefined)
    .map((e) => e.name)
    .sort();
}
