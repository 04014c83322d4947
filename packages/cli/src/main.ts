import { Command, CommanderError } from 'commander';
import { VERSION, userMessage } from '@lakebox/common';
import { registerDelta } from './commands/delta.js';
import { registerSql } from './commands/sql.js';
import { registerStart } from './commands/start.js';
import { registerToken } from './commands/token.js';

/**
 * Build the `lakebox` command tree. Each capability registers its subcommands here
 * (`delta`, `start`, `sql`, `token`, ...).
 */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('lakebox')
    .description('Lakebox: a self-hosted lakehouse and machine-learning platform')
    .version(VERSION, '-v, --version', 'print the Lakebox version')
    .showHelpAfterError()
    .exitOverride();
  registerDelta(program);
  registerSql(program);
  registerStart(program);
  registerToken(program);
  return program;
}

/** Run the CLI; returns the process exit code. Errors are printed as one line, never a stack. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit through here with code 0
      return e.exitCode;
    }
    process.stderr.write(`lakebox: ${userMessage(e)}\n`);
    if (process.env.LAKEBOX_DEBUG) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
    return 1;
  }
}
