#!/usr/bin/env node
import path from "node:path";

import { hostBanner } from "./banner";
import { type CliCommand, parseCli, USAGE, UsageError } from "./cliArgs";
import { emulatorsBanner, startEmulators } from "./emulators";
import { runInForeground } from "./foreground";
import { applyLocalSettings, readLocalSettings } from "./localSettings";

/** `functions-local-host`: the host's own command line (cliArgs.ts has the usage). */

const stopOnSignals = (stop: () => Promise<void>, quiet: boolean): void => {
  let stopping = false;
  const onSignal = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
    if (!quiet) process.stderr.write(`\n${signal}: stopping...\n`);
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => onSignal(signal));
};

const run = async (command: CliCommand): Promise<void> => {
  switch (command.command) {
    case "help":
      process.stdout.write(USAGE + "\n");
      return;
    case "start": {
      const appRoot = path.resolve(command.app);
      // As the Functions host starts the worker: in the app's folder, so relative paths the app opens resolve there.
      process.chdir(appRoot);
      const applied = applyLocalSettings(process.env, readLocalSettings(appRoot));
      if (!command.json && applied.length > 0)
        process.stderr.write(`Read ${applied.length} setting(s) from local.settings.json\n`);
      await runInForeground({
        appRoot,
        json: command.json,
        inMemory: command.inMemory,
        banner: (_info, runtime) => hostBanner(runtime),
        startingMessage: `Starting the function app in ${appRoot}...`,
      });
      return;
    }
    case "emulators": {
      if (!command.json) process.stderr.write("Starting Azurite and the Event Hubs endpoint...\n");
      const emulators = await startEmulators(process.env, command.inMemory);
      process.stdout.write(
        command.json ? JSON.stringify(emulators.info) + "\n" : emulatorsBanner(emulators.info),
      );
      stopOnSignals(() => emulators.stop(), command.json);
      return;
    }
  }
};

const main = (): void => {
  let command: CliCommand;
  try {
    command = parseCli(process.argv.slice(2), process.cwd());
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`functions-local-host: ${error.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  run(command).catch((error: unknown) => {
    process.stderr.write(`functions-local-host: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
};

if (require.main === module) main();
