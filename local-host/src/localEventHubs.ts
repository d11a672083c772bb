import { type RunningEventHubsEmulator, startEventHubsEmulator } from "./eventhubs";
import {
  entityPathOf,
  type EventHubTriggerSource,
  isDevelopmentEmulator,
  resolveEventHubTrigger,
} from "./eventHubTriggers";
import type { CapturedFunction } from "./functionsCore";
import type { LocalLog } from "./invocation";
import { ensurePortFree, portSetting } from "./ports";

/** An Event Hub trigger resolved to the connection string its consumer uses. */
export interface EventHubFeed extends EventHubTriggerSource {
  readonly connectionString: string;
}

/** One hub the app's triggers read (runtime.json's eventHubs). */
export interface EventHubInfo {
  readonly name: string;
  /** With EntityPath: what a producer needs to publish to this hub. */
  readonly connectionString: string;
  readonly consumerGroups: ReadonlyArray<string>;
  readonly functions: ReadonlyArray<string>;
}

export interface EventHubsPlan {
  readonly feeds: ReadonlyArray<EventHubFeed>;
  readonly hubs: ReadonlyArray<EventHubInfo>;
  /** The first trigger's hub, else io-events (runtime.json's eventHubName and eventHubConnectionString). */
  readonly primary: { readonly name: string; readonly connectionString: string };
}

export interface LocalEventHubsOptions {
  /** The host's own settings: EVENTHUB_EMULATOR_PORT, EVENTHUB_EMULATOR_PARTITIONS. */
  readonly hostEnv: NodeJS.ProcessEnv;
  /** The app settings (process.env): connection settings are read here and pointed at the embedded endpoint. */
  readonly settings: NodeJS.ProcessEnv;
  /** The endpoint's partition files; undefined keeps them in memory. */
  readonly dataDir: string | undefined;
  readonly onStop: (stop: () => Promise<void>) => void;
  readonly log: LocalLog;
}

const DEFAULT_HUB = "io-events";

/** EVENTHUB_EMULATOR_PARTITIONS: partitions of each hub the embedded endpoint creates for the app. */
const partitionCountSetting = (env: NodeJS.ProcessEnv): number => {
  const text = env.EVENTHUB_EMULATOR_PARTITIONS;
  if (text === undefined || text === "") return 4;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1024)
    throw new Error("EVENTHUB_EMULATOR_PARTITIONS must be a whole number from 1 to 1024");
  return n;
};

/**
 * EVENTHUB_EMULATOR_CONSUMER_GROUPS: consumer groups (comma-separated) the embedded endpoint adds to every hub
 * beside "$default" and the triggers' own, for app code that reads a hub with a client of its own.
 */
const extraGroupsSetting = (env: NodeJS.ProcessEnv): ReadonlyArray<string> =>
  (env.EVENTHUB_EMULATOR_CONSUMER_GROUPS ?? "")
    .split(",")
    .map((g) => g.trim())
    .filter((g) => g !== "");

const withEntityPath = (connectionString: string, hub: string): string =>
  entityPathOf(connectionString) === undefined
    ? `${connectionString.replace(/;\s*$/, "")};EntityPath=${hub}`
    : connectionString;

/**
 * The app's Event Hubs: the embedded endpoint for every connection setting that is unset, empty or a
 * development-emulator string, and the hubs and consumer groups its triggers name.
 * In two steps, because the app reads settings when it loads but its triggers are known only after:
 * `beforeLoad` starts the endpoint if a setting already wants it and points those settings at it;
 * `afterLoad` resolves every trigger, starts the endpoint if only now needed, points the remaining unset
 * settings at it and creates the hubs and consumer groups.
 */
export class LocalEventHubs {
  private emulator: RunningEventHubsEmulator | undefined;
  private readonly partitionCount: number;

  constructor(private readonly options: LocalEventHubsOptions) {
    this.partitionCount = partitionCountSetting(options.hostEnv);
  }

  /** Whether this host started the embedded endpoint (for the banner: its connection strings are public). */
  get embedded(): boolean {
    return this.emulator !== undefined;
  }

  private async endpoint(): Promise<RunningEventHubsEmulator> {
    if (this.emulator !== undefined) return this.emulator;
    const port = portSetting(this.options.hostEnv, "EVENTHUB_EMULATOR_PORT", 5672);
    await ensurePortFree(port, "EVENTHUB_EMULATOR_PORT");
    const emulator = await startEventHubsEmulator({
      port,
      hubs: [],
      ...(this.options.dataDir === undefined ? {} : { dataDir: this.options.dataDir }),
    });
    this.options.onStop(() => emulator.stop());
    this.emulator = emulator;
    return emulator;
  }

  private ensureHubs(emulator: RunningEventHubsEmulator, hubs: ReadonlyMap<string, Set<string>>): void {
    const configs = [...hubs].map(([name, groups]) => ({
      name,
      partitionCount: this.partitionCount,
      consumerGroups: [
        "$default",
        ...extraGroupsSetting({ ...this.options.settings, ...this.options.hostEnv }),
        ...groups,
      ],
    }));
    try {
      emulator.ensureHubs(configs);
    } catch (error) {
      const names = configs.map((c) => c.name).join(", ");
      throw new Error(`Embedded Event Hubs endpoint cannot create hub(s) ${names}: ${String(error)}`);
    }
  }

  /**
   * Before the app loads: EVENTHUB_CONNECTION when unset or empty, and every setting holding a
   * development-emulator string (its EntityPath kept, that hub created), now point at the embedded endpoint.
   */
  async beforeLoad(): Promise<void> {
    const { settings } = this.options;
    const names = Object.keys(settings).filter((name) =>
      /UseDevelopmentEmulator\s*=\s*true/i.test(settings[name] ?? ""),
    );
    if (isDevelopmentEmulator(settings.EVENTHUB_CONNECTION) && !names.includes("EVENTHUB_CONNECTION"))
      names.push("EVENTHUB_CONNECTION");
    if (names.length === 0) return;
    const emulator = await this.endpoint();
    const hubs = new Map<string, Set<string>>();
    for (const name of names) {
      const hub = entityPathOf(settings[name] ?? "");
      if (hub !== undefined) hubs.set(hub, new Set());
      settings[name] = emulator.connectionString(hub);
    }
    this.ensureHubs(emulator, hubs);
  }

  /** After the app loaded: every Event Hub trigger resolved, the embedded endpoint serving what they name. */
  async afterLoad(functions: ReadonlyArray<CapturedFunction>): Promise<EventHubsPlan> {
    const { settings } = this.options;
    const sources = functions.map((fn) => resolveEventHubTrigger(fn, settings));
    const embedded = sources.filter((s) => s.connection.kind === "embedded");
    const emulator =
      embedded.length > 0 || (sources.length === 0 && this.emulator !== undefined)
        ? await this.endpoint()
        : undefined;
    const hubs = new Map<string, Set<string>>();
    for (const source of embedded) {
      const key = [...hubs.keys()].find((h) => h.toLowerCase() === source.eventHubName.toLowerCase());
      const groups = hubs.get(key ?? source.eventHubName) ?? new Set<string>();
      hubs.set(key ?? source.eventHubName, groups.add(source.consumerGroup));
      // Set after the app loaded: app code that read this setting while loading saw it unset.
      if (emulator !== undefined && (settings[source.connectionSetting] ?? "") === "")
        settings[source.connectionSetting] = emulator.connectionString();
    }
    if (emulator !== undefined)
      this.ensureHubs(emulator, sources.length === 0 ? new Map([[DEFAULT_HUB, new Set()]]) : hubs);
    const feeds = sources.map((source): EventHubFeed => ({
      ...source,
      connectionString:
        source.connection.kind === "external" ? source.connection.value : emulator!.connectionString(),
    }));
    this.warnOnSharedGroups(feeds);
    const connectionFor = (feed: EventHubFeed): string =>
      feed.connection.kind === "external"
        ? withEntityPath(feed.connection.value, feed.eventHubName)
        : emulator!.connectionString(feed.eventHubName);
    const first = feeds[0];
    return {
      feeds,
      hubs: this.hubInfos(feeds, connectionFor),
      primary:
        first !== undefined
          ? { name: first.eventHubName, connectionString: connectionFor(first) }
          : {
              name: DEFAULT_HUB,
              connectionString: emulator?.connectionString(DEFAULT_HUB) ?? settings.EVENTHUB_CONNECTION ?? "",
            },
    };
  }

  private hubInfos(
    feeds: ReadonlyArray<EventHubFeed>,
    connectionFor: (feed: EventHubFeed) => string,
  ): EventHubInfo[] {
    const byHub = new Map<string, { info: EventHubInfo; groups: Set<string>; functions: string[] }>();
    for (const feed of feeds) {
      const connectionString = connectionFor(feed);
      const key = `${feed.eventHubName.toLowerCase()} ${connectionString.toLowerCase()}`;
      const entry = byHub.get(key) ?? {
        info: { name: feed.eventHubName, connectionString, consumerGroups: [], functions: [] },
        groups: new Set<string>(),
        functions: [],
      };
      entry.groups.add(feed.consumerGroup);
      entry.functions.push(feed.fn.name);
      byHub.set(key, entry);
    }
    return [...byHub.values()].map(({ info, groups, functions }) => ({
      ...info,
      consumerGroups: [...groups],
      functions,
    }));
  }

  /** Two functions on one hub and consumer group split its partitions between them, as they would in Azure. */
  private warnOnSharedGroups(feeds: ReadonlyArray<EventHubFeed>): void {
    const seen = new Map<string, string>();
    for (const feed of feeds) {
      const key = [feed.connectionString, feed.eventHubName, feed.consumerGroup].join(" ").toLowerCase();
      const other = seen.get(key);
      if (other !== undefined)
        this.options.log(
          "warning",
          feed.fn.name,
          `reads hub ${feed.eventHubName} with consumer group ${feed.consumerGroup}, as ${other} does: ` +
            "the two split its partitions, so each sees only part of the events",
        );
      else seen.set(key, feed.fn.name);
    }
  }
}
