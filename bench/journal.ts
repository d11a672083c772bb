/**
 * The cost of Azurite's journal (local-host/src/azuriteChild.ts): 3 rounds of 3,000 upserts of 2 KB entities, 32 at
 * once, into a persistent Azurite, with the journal and then without it (AZURITE_JOURNAL=off, which exists for this
 * measurement only), alternating `runs` times. `npm run bench:journal -- [runs]`. Prints upserts/s per run and the
 * ratio of the medians.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { TableClient } from "@azure/data-tables";
import { startAzurite } from "functions-local-host";

const ROUNDS = 3;
const UPSERTS = 3000;
const IN_FLIGHT = 32;

const measure = async (journal: boolean): Promise<number> => {
  process.env.AZURITE_JOURNAL = journal ? "on" : "off";
  const location = mkdtempSync(path.join(tmpdir(), "bench-journal-"));
  const azurite = await startAzurite({ location });
  try {
    const table = TableClient.fromConnectionString(azurite.connectionString, "JournalBench", {
      allowInsecureConnection: true,
    });
    await table.createTable();
    const body = "x".repeat(2000);
    let best = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const started = process.hrtime.bigint();
      let next = 0;
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < UPSERTS) {
            const n = next++;
            await table.upsertEntity({ partitionKey: `p${n % 50}`, rowKey: `r${n}-${round}`, body });
          }
        }),
      );
      best = Math.max(best, UPSERTS / (Number(process.hrtime.bigint() - started) / 1e9));
    }
    return best;
  } finally {
    await azurite.stop();
    rmSync(location, { recursive: true, force: true });
  }
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const main = async (): Promise<void> => {
  const runs = Number(process.argv[2] ?? 3);
  const on: number[] = [];
  const off: number[] = [];
  for (let i = 0; i < runs; i++) {
    on.push(await measure(true));
    off.push(await measure(false));
    console.log(
      `run ${i + 1}: journal ${on.at(-1)!.toFixed(0)} upserts/s, none ${off.at(-1)!.toFixed(0)} upserts/s`,
    );
  }
  console.log(
    `median: journal ${median(on).toFixed(0)} upserts/s, none ${median(off).toFixed(0)} upserts/s, ` +
      `journal/none = ${((median(on) / median(off)) * 100).toFixed(1)}%`,
  );
  delete process.env.AZURITE_JOURNAL;
};

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
