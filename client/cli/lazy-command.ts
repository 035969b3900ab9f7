import { Command } from 'commander';

/**
 * A command whose definition is loaded only when it runs: its module imports what it needs at the
 * top (the demo seeds a database and runs a worker), which `patchctl --help` must not pay for. The
 * stand-in passes everything it was given, `--help` included, to the real command.
 */
export function lazyCommand(name: string, description: string, load: () => Promise<Command>, prepare: (command: Command, path: string[]) => void): Command {
  const standIn = new Command(name).description(description).helpOption(false).allowUnknownOption().allowExcessArguments();
  standIn.argument('[options...]');
  standIn.action(async (_args: string[], _opts: unknown, self: Command) => {
    // Hosted under a program of the same name, so its usage and errors read `patchctl demo …`.
    const host = new Command('patchctl').addCommand(await load());
    prepare(host, []);
    await host.parseAsync([name, ...self.args], { from: 'user' });
  });
  return standIn;
}
