#!/usr/bin/env node
import { type CliIo, parseCommandArgs, processIo, UsageError } from "./cliArgs";
import { PUBLISH_USAGE, publishCommand } from "./publishCommand";
import { RECEIVE_USAGE, receiveCommand } from "./receiveCommand";
import { REPLAY_USAGE, replayCommand, sigintSignal } from "./replayCommand";
import { startCommand } from "./startCommand";
import { WEBHOOKS_USAGE, webhooksCommand } from "./webhooksCommand";

export const START_USAGE = `Usage: dispatcher start [--json] [--in-memory]
  Runs the dispatcher locally (what \`npm start\` runs) and writes <dataDir>/runtime.json when ready.
  --json                      print one JSON line (adminUrl, adminKey, Event Hub) instead of the banner
  --in-memory                 keep nothing on disk (Azurite and the Event Hubs endpoint in memory)`;

const HELP_USAGE = `Usage: dispatcher help [COMMAND]
  Lists every command with its options (or one command's).`;

const USAGES: Readonly<Record<string, string>> = {
  start: START_USAGE,
  publish: PUBLISH_USAGE,
  webhooks: WEBHOOKS_USAGE,
  receive: RECEIVE_USAGE,
  replay: REPLAY_USAGE,
  help: HELP_USAGE,
};

export const USAGE = [
  "dispatcher: run the Public Event Dispatcher locally, publish events to it, manage its webhooks, receive deliveries, replay the hub's events.",
  "Connection (publish, webhooks, replay): flags, then the environment, then runtime.json in $DATA_DIR or ./.data.",
  "",
  ...Object.values(USAGES).flatMap((usage) => [usage, ""]),
].join("\n");

const START_OPTIONS = { json: { type: "boolean" }, "in-memory": { type: "boolean" } } as const;

/** The command switch: returns the exit code (0 ok, 1 failed, 2 usage error). */
export const runCli = async (
  argv: ReadonlyArray<string>,
  io: CliIo,
  start: (args: ReadonlyArray<string>) => Promise<void> = startCommand,
): Promise<number> => {
  const [command, ...args] = argv;
  switch (command) {
    case undefined:
    case "start": {
      try {
        if (parseCommandArgs(args, START_OPTIONS, START_USAGE, 0).help) {
          io.out(START_USAGE + "\n");
          return 0;
        }
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        io.err(`dispatcher start: ${error.message}\n\n${START_USAGE}\n`);
        return 2;
      }
      await start(args);
      return 0;
    }
    case "publish":
      return publishCommand(args, io);
    case "webhooks":
      return webhooksCommand(args, io);
    case "receive":
      return receiveCommand(args, io);
    case "replay":
      return replayCommand(args, io, { interrupt: sigintSignal() });
    case "help":
    case "--help":
    case "-h": {
      if (args[0] === undefined) {
        io.out(USAGE + "\n");
        return 0;
      }
      const topic = USAGES[args[0]];
      if (topic === undefined) {
        io.err(`dispatcher help: unknown command "${args[0]}"\n\n${USAGE}\n`);
        return 2;
      }
      io.out(topic + "\n");
      return 0;
    }
    default:
      io.err(`dispatcher: unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
};

if (require.main === module) {
  runCli(process.argv.slice(2), processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`dispatcher: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
