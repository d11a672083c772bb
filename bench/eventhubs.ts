/**
 * The local host's Event Hubs endpoint alone: produce 40,000 small events (a quarter to each of the 4 partitions,
 * the partitions in parallel), then consume them all with one greedy subscription over every partition.
 * `npm run bench:eventhubs -- [N] [--persistent]` (--persistent: partition files in a temp folder, written before each
 * transfer is accepted). Prints one line with both rates.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import type { EventData, EventHubProducerClient } from "@azure/event-hubs";
import { startEventHubsEmulator } from "functions-local-host";
import { Clients, collect, earliestEventPosition } from "functions-local-host/testing";

const PARTITIONS = ["0", "1", "2", "3"];

const sendAllTo = async (producer: EventHubProducerClient, events: EventData[], partitionId: string) => {
  let batch = await producer.createBatch({ partitionId });
  for (const event of events) {
    if (batch.tryAdd(event)) continue;
    await producer.sendBatch(batch);
    batch = await producer.createBatch({ partitionId });
    if (!batch.tryAdd(event)) throw new Error("event too large for an empty batch");
  }
  if (batch.count > 0) await producer.sendBatch(batch);
};

const main = async (): Promise<void> => {
  const args = process.argv.slice(2);
  const persistent = args.includes("--persistent");
  const total = Number(args.find((a) => a !== "--persistent") ?? 40_000);
  if (!Number.isSafeInteger(total) || total < 1)
    throw new Error("Usage: npm run bench:eventhubs -- [events] [--persistent]");
  const dataDir = persistent ? mkdtempSync(path.join(tmpdir(), "bench-eventhubs-")) : undefined;
  const emulator = await startEventHubsEmulator({ port: 0, ...(dataDir === undefined ? {} : { dataDir }) });
  const clients = new Clients(emulator);
  try {
    const producer = clients.producer();
    const payload = { name: "profile:completed", servicePreferencesMode: "AUTO", padding: "p".repeat(60) };
    const events = Array.from({ length: total }, (_, n) => ({ body: { ...payload, n } }));
    const produceStart = performance.now();
    await Promise.all(
      PARTITIONS.map((id, p) =>
        sendAllTo(
          producer,
          events.filter((_, n) => n % PARTITIONS.length === p),
          id,
        ),
      ),
    );
    const produceMs = performance.now() - produceStart;
    const consumeStart = performance.now();
    const { done, subscription } = collect(
      (handlers) =>
        clients.consumer().subscribe(handlers, { startPosition: earliestEventPosition, maxBatchSize: 1000 }),
      total,
    );
    const received = await done;
    const consumeMs = performance.now() - consumeStart;
    await subscription.close();
    if (received.length !== total) throw new Error(`received ${received.length} of ${total} events`);
    process.stdout.write(
      `local Event Hubs${persistent ? " (partition files)" : " (in memory)"}: produced ${total} events in ${produceMs.toFixed(0)} ms (${Math.round((total / produceMs) * 1000)}/s), ` +
        `consumed in ${consumeMs.toFixed(0)} ms (${Math.round((total / consumeMs) * 1000)}/s)\n`,
    );
  } finally {
    await clients.closeAll();
    await emulator.stop();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
