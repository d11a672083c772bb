import path from "node:path";

import { startAzurite } from "./azurite";
import { startEventHubsEmulator } from "./eventhubs";
import { ensurePortFree, portSetting } from "./ports";

/**
 * `functions-local-host emulators`: only the services, for running the app with Core Tools. Azurite listens on
 * its usual ports (blob 10000, queue 10001, table 10002), so `UseDevelopmentStorage=true` reaches it, and the
 * Event Hubs endpoint on 5672, the port an emulator connection string (`UseDevelopmentEmulator=true`) names.
 */
export interface EmulatorsInfo {
  readonly storageConnectionString: string;
  readonly eventHubConnectionString: string;
  readonly eventHubName: string;
}

export interface RunningEmulators {
  readonly info: EmulatorsInfo;
  stop(): Promise<void>;
}

export const startEmulators = async (
  env: NodeJS.ProcessEnv,
  inMemory: boolean,
): Promise<RunningEmulators> => {
  const dataDir = path.resolve(env.DATA_DIR ?? ".data");
  const ports = {
    blob: portSetting(env, "AZURITE_BLOB_PORT", 10000),
    queue: portSetting(env, "AZURITE_QUEUE_PORT", 10001),
    table: portSetting(env, "AZURITE_TABLE_PORT", 10002),
    hub: portSetting(env, "EVENTHUB_EMULATOR_PORT", 5672),
  };
  await ensurePortFree(ports.blob, "AZURITE_BLOB_PORT");
  await ensurePortFree(ports.queue, "AZURITE_QUEUE_PORT");
  await ensurePortFree(ports.table, "AZURITE_TABLE_PORT");
  await ensurePortFree(ports.hub, "EVENTHUB_EMULATOR_PORT");
  const eventHubName = env.EVENTHUB_NAME ?? "io-events";
  const azurite = await startAzurite({
    ...(inMemory ? {} : { location: path.join(dataDir, "azurite") }),
    blobPort: ports.blob,
    queuePort: ports.queue,
    tablePort: ports.table,
  });
  try {
    const hub = await startEventHubsEmulator({
      port: ports.hub,
      ...(inMemory ? {} : { dataDir: path.join(dataDir, "eventhubs") }),
      hubs: [{ name: eventHubName, partitionCount: 4, consumerGroups: ["$default"] }],
    });
    return {
      info: {
        storageConnectionString: azurite.connectionString,
        eventHubConnectionString: hub.connectionString(eventHubName),
        eventHubName,
      },
      stop: async () => {
        await hub.stop().catch(() => undefined);
        await azurite.stop();
      },
    };
  } catch (error) {
    await azurite.stop();
    throw error;
  }
};

/** What a person reads: the settings to put in local.settings.json "Values". */
export const emulatorsBanner = (info: EmulatorsInfo): string =>
  [
    "",
    '  Azurite and the Event Hubs endpoint are running. For `func start`, in local.settings.json "Values":',
    "",
    `    "AzureWebJobsStorage": ${JSON.stringify(info.storageConnectionString)}`,
    `    "EVENTHUB_CONNECTION": ${JSON.stringify(info.eventHubConnectionString)}`,
    `    "EVENTHUB_NAME": ${JSON.stringify(info.eventHubName)}`,
    "",
    "  (Event Hub hub with 4 partitions and the $default consumer group; EVENTHUB_CONNECTION stands for the",
    "  setting your trigger's `connection` names.)",
    "",
    "  Ctrl+C stops everything.",
    "",
  ].join("\n");
