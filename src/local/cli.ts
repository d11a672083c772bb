#!/usr/bin/env node
import { startCommand } from "./startCommand";

const USAGE = `Usage:
  dispatcher start [--json] [--in-memory]   run the dispatcher locally (what npm start runs)`;

const main = async (): Promise<void> => {
  const [command, ...args] = process.argv.slice(2);
  switch (command) {
    case "start":
    case undefined:
      return startCommand(args);
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE + "\n");
      return;
    default:
      process.stderr.write(`Unknown command "${command}".\n${USAGE}\n`);
      process.exitCode = 2;
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`dispatcher: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
