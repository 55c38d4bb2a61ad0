import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { sdkVersion } from '../../sdk/version.ts';
import { registerAgentCommand } from './commands/agent.ts';
import { registerImageCommand } from './commands/image.ts';
import { registerPluginsCommand } from './commands/plugins.ts';
import { registerRuntimeCommand } from './commands/runtime.ts';
import { registerSchedulerCommand } from './commands/scheduler.ts';
import { registerServerCommand } from './commands/server.ts';
import { registerSimCommand } from './commands/sim.ts';
import { registerUpCommand } from './commands/up.ts';
import { registerVersionCommand } from './commands/version.ts';

/** buildProgram assembles the `skiff` command line; each command lives in ./commands/. */
export function buildProgram(): Command {
  const program = new Command('skiff')
    .description('skiff: a container orchestrator in the shape of Kubernetes, built to be extended')
    .version(sdkVersion, '-v, --version', 'print the sdk version')
    .showHelpAfterError()
    .exitOverride();
  registerVersionCommand(program);
  registerPluginsCommand(program);
  registerRuntimeCommand(program);
  registerImageCommand(program);
  registerUpCommand(program);
  registerServerCommand(program);
  registerSchedulerCommand(program);
  registerSimCommand(program);
  registerAgentCommand(program);
  return program;
}

/** main runs the command line and turns failures into a message and an exit code. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  // Commander prints the errors it raises itself; one thrown by an action reaches us unprinted.
  let printed = false;
  const noteErrors = (command: Command): void => {
    command.configureOutput({
      ...command.configureOutput(),
      outputError: (str, write) => {
        printed = true;
        write(str);
      },
    });
    for (const sub of command.commands) noteErrors(sub);
  };
  noteErrors(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (!printed && err.exitCode !== 0)
        process.stderr.write(
          `${err.message.startsWith('error: ') ? '' : 'error: '}${err.message}\n`,
        );
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`skiff: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
