/** The command line of `functions-local-host`: a parser of its own (the host imports nothing of the app). */

export const USAGE = `Usage: functions-local-host <command> [options]

  start [--app DIR] [--json] [--in-memory]
      Hosts the Azure Functions v4 Node.js app in DIR (default: the current folder) as \`func start\` would:
      package.json "main", host.json, local.settings.json "Values" (the environment wins). Serves HTTP,
      Event Hub and timer triggers and Durable Functions, with embedded Azurite and Event Hubs unless the
      settings name real ones. Writes <DATA_DIR>/runtime.json when ready; Ctrl+C stops everything.
      --json        print one JSON line (adminUrl, adminKey, Event Hub) instead of the banner
      --in-memory   keep nothing on disk

  emulators [--json] [--in-memory]
      Starts only Azurite (blob, queue, table) and the Event Hubs endpoint and prints their connection
      strings, for local.settings.json when you run the app with Core Tools (\`func start\`). Ctrl+C stops them.
      --json        print one JSON line { storageConnectionString, eventHubConnectionString, eventHubName }
      --in-memory   keep nothing on disk

  help
      Prints this text.`;

export class UsageError extends Error {}

export type CliCommand =
  | { readonly command: "start"; readonly app: string; readonly json: boolean; readonly inMemory: boolean }
  | { readonly command: "emulators"; readonly json: boolean; readonly inMemory: boolean }
  | { readonly command: "help" };

const flags = (
  args: ReadonlyArray<string>,
  withApp: boolean,
): { app: string | undefined; json: boolean; inMemory: boolean } => {
  let app: string | undefined;
  let json = false;
  let inMemory = false;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === "--json") json = true;
    else if (arg === "--in-memory") inMemory = true;
    else if (withApp && arg === "--app") {
      const value = args[i + 1];
      if (value === undefined || value.startsWith("--")) throw new UsageError("--app needs a folder");
      app = value;
      i += 1;
    } else if (withApp && arg.startsWith("--app=")) app = arg.slice("--app=".length);
    else throw new UsageError(`unknown option ${JSON.stringify(arg)}`);
  }
  if (app === "") throw new UsageError("--app needs a folder");
  return { app, json, inMemory };
};

/** Parses argv (without node and the script); throws UsageError for anything it does not know. */
export const parseCli = (argv: ReadonlyArray<string>, cwd: string): CliCommand => {
  const [command, ...args] = argv;
  switch (command) {
    case "start": {
      const { app, json, inMemory } = flags(args, true);
      return { command, app: app ?? cwd, json, inMemory };
    }
    case "emulators": {
      const { json, inMemory } = flags(args, false);
      return { command, json, inMemory };
    }
    case "help":
    case "--help":
    case "-h":
      if (args.length > 0) throw new UsageError(`help takes no arguments`);
      return { command: "help" };
    case undefined:
      throw new UsageError("a command is needed");
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
};
