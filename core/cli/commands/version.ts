import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { sdkVersion } from '../../../sdk/version.ts';

const packageVersion = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** registerVersionCommand adds `skiff version`: the versions of skiff, its sdk and Node. */
export function registerVersionCommand(program: Command): void {
  program
    .command('version')
    .description('print the versions of skiff, its plugin sdk and Node.js')
    .action(() => {
      process.stdout.write(`skiff ${packageVersion}\nsdk ${sdkVersion}\nnode ${process.version}\n`);
    });
}
