#!/usr/bin/env node
// The `dispatcher` command. The local runtime behind `start` is not built yet (see README, Status).
const [command] = process.argv.slice(2);
if (command === "start" || command === undefined) {
  console.error(
    "The local runtime is not built yet: `npm start` will run the function app with embedded Azurite and " +
      "Event Hubs once it lands. Today, `npm test` exercises everything that is built.",
  );
  process.exit(1);
}
console.error(`Unknown command "${command}". Usage: dispatcher start`);
process.exit(2);
