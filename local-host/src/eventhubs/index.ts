import type { AddressInfo } from "node:net";

import { DEFAULT_HUBS, type HubConfig, validateHubs } from "./config";
import { HubStore } from "./hubStore";
import { AmqpEndpoint } from "./server";

export { DEFAULT_HUBS, type HubConfig, loadHubsConfig } from "./config";

export interface EventHubsEmulatorOptions {
  /** Default "127.0.0.1". */
  readonly host?: string;
  /** Default 5672; 0 picks a free port. */
  readonly port?: number;
  /** Omit to keep events in memory; else an append-only file per partition, reloaded on restart. */
  readonly dataDir?: string;
  /** Default: one hub "io-events" with 4 partitions and the "$default" consumer group. */
  readonly hubs?: ReadonlyArray<HubConfig>;
}

export interface RunningEventHubsEmulator {
  readonly port: number;
  /**
   * A connection string the unmodified SDK accepts (plain TCP, any key) for this port, with EntityPath=hub when a
   * hub is given (without one it serves every hub: the client names the hub).
   */
  connectionString(hub?: string): string;
  /**
   * Creates the hubs that do not exist yet and adds missing consumer groups to those that do, while serving
   * (an existing hub keeps its partition count). Throws on an invalid name or partition count.
   */
  ensureHubs(hubs: ReadonlyArray<HubConfig>): void;
  /** Closes every connection and the listener, and flushes the partition files. */
  stop(): Promise<void>;
}

/** Starts a small Event Hubs-compatible AMQP 1.0 endpoint for the local runtime and tests. */
export const startEventHubsEmulator = async (
  options: EventHubsEmulatorOptions = {},
): Promise<RunningEventHubsEmulator> => {
  const host = options.host ?? "127.0.0.1";
  const hubs = validateHubs(options.hubs ?? DEFAULT_HUBS);
  const store = HubStore.open(hubs, options.dataDir, Date.now());
  const endpoint = new AmqpEndpoint(store, () => Date.now());
  const server = await endpoint.listen(host, options.port ?? 5672).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  // Failure policy: errors after listening (a socket reset) are the client's problem, never the process's.
  server.on("error", () => undefined);
  const port = (server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    port,
    connectionString: (hub) =>
      `Endpoint=sb://${host}:${port};SharedAccessKeyName=local;SharedAccessKey=local;UseDevelopmentEmulator=true` +
      (hub === undefined ? "" : `;EntityPath=${hub}`),
    ensureHubs: (more) => store.ensure(validateHubs(more), Date.now()),
    stop: () => {
      stopped ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await endpoint.closeConnections();
        await closed;
        await store.close();
      })();
      return stopped;
    },
  };
};
