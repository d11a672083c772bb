/**
 * The local host's durable runtime alone: Azurite tables (in memory), the durable-functions client over loopback,
 * 20 activities at once (host.json's maxConcurrentActivityFunctions). `npm run bench:durable`. Prints one line per
 * shape: one orchestration fanning out to 1,000 activities, and 200 orchestrations of 3 chained activities.
 */
import * as df from "durable-functions";
import {
  captureRegistrations,
  type RunningDurableHost,
  startAzurite,
  startDurableHost,
} from "functions-local-host";

const CONCURRENT_ACTIVITIES = 20;

const shim = captureRegistrations(() => {
  df.app.activity("trivial", {
    handler: async (n: unknown) => {
      await new Promise((resolve) => setImmediate(resolve));
      return Number(n) + 1;
    },
  });
  df.app.orchestration("wide", function* (context) {
    const n = context.df.getInput<number>();
    const results = (yield context.df.Task.all(
      Array.from({ length: n }, (_, i) => context.df.callActivity("trivial", i)),
    )) as number[];
    return results.reduce((a, b) => a + b, 0);
  });
  df.app.orchestration("three", function* (context) {
    const a = (yield context.df.callActivity("trivial", 1)) as number;
    const b = (yield context.df.callActivity("trivial", a)) as number;
    return (yield context.df.callActivity("trivial", b)) as number;
  });
});

/** Runs `body` on a fresh task hub; returns its wall time in ms. */
const timed = async (
  storageConnection: string,
  body: (host: RunningDurableHost, client: df.DurableClient) => Promise<void>,
): Promise<number> => {
  const host = await startDurableHost(shim, {
    storageConnection,
    maxConcurrentActivities: CONCURRENT_ACTIVITIES,
  });
  try {
    const client = df.getClient(host.clientContext());
    const started = performance.now();
    await body(host, client);
    return performance.now() - started;
  } finally {
    await host.stop();
  }
};

const main = async (): Promise<void> => {
  const azurite = await startAzurite();
  try {
    const wideMs = await timed(azurite.connectionString, async (host, client) => {
      const id = await client.startNew("wide", { input: 1000 });
      await host.runtime.whenIdle(60_000);
      const { output } = await client.getStatus(id);
      if (output !== (1000 * 1001) / 2) throw new Error("wide: wrong result");
    });
    process.stdout.write(
      `1 orchestration x 1,000 activities: ${wideMs.toFixed(0)} ms (${((1000 / wideMs) * 1000).toFixed(0)} activities/s)\n`,
    );
    const smallMs = await timed(azurite.connectionString, async (host, client) => {
      const ids = await Promise.all(Array.from({ length: 200 }, () => client.startNew("three")));
      await host.runtime.whenIdle(60_000);
      const statuses = await client.getStatusBy({});
      const done = statuses.filter((s) => ids.includes(s.instanceId) && s.output === 4).length;
      if (done !== 200) throw new Error(`three: ${done} of 200 finished`);
    });
    process.stdout.write(
      `200 orchestrations x 3 activities: ${smallMs.toFixed(0)} ms (${((200 / smallMs) * 1000).toFixed(0)} orchestrations/s)\n`,
    );
  } finally {
    await azurite.stop();
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
