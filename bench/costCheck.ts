/* A small cost run printed as JSON (for bench/cost.test.ts, which runs it twice in child processes). */
import { runCost } from "./cost";

const webhooks = Number(process.argv[2] ?? "3");
const batches = Number(process.argv[3] ?? "2");
runCost(webhooks, batches)
  .then((results) => process.stdout.write(JSON.stringify(results) + "\n"))
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
