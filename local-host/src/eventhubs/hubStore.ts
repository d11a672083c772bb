import { mkdirSync } from "node:fs";
import { join } from "node:path";

import type { HubConfig } from "./config";
import { PartitionLog } from "./partitionLog";

export interface Hub {
  readonly name: string;
  readonly consumerGroups: ReadonlySet<string>;
  readonly partitions: ReadonlyArray<PartitionLog>;
  readonly createdAtMs: number;
}

/** An AMQP error the way Event Hubs reports it; `amqp:not-found` with this description is not retried. */
export interface AmqpFailure {
  readonly condition: string;
  readonly description: string;
}

export const notFound = (entity: string): AmqpFailure => ({
  condition: "amqp:not-found",
  description: `The messaging entity '${entity}' could not be found. status-code: 404`,
});

/** What a link address names: a hub or one partition (senders), a consumer group's partition (receivers). */
export type Address =
  | { readonly kind: "Hub"; readonly hub: Hub }
  | { readonly kind: "Partition"; readonly hub: Hub; readonly partition: number }
  | {
      readonly kind: "ConsumerPartition";
      readonly hub: Hub;
      readonly consumerGroup: string;
      readonly partition: number;
    };

/** Drops an `amqp[s]://host/` or `sb://host/` prefix, so full URIs and bare entity paths both work. */
const entityPath = (address: string): string => address.replace(/^[a-z]+:\/\/[^/]*\//i, "");

/** The hubs and their partition logs, from config, optionally persisted under dataDir/<hub>/<n>.log. */
export class HubStore {
  private readonly hubs = new Map<string, Hub & { readonly consumerGroups: Set<string> }>();

  private constructor(private readonly dataDir: string | undefined) {}

  static open(configs: ReadonlyArray<HubConfig>, dataDir: string | undefined, nowMs: number): HubStore {
    const store = new HubStore(dataDir);
    store.ensure(configs, nowMs);
    return store;
  }

  /**
   * Adds the hubs that do not exist yet (their partition files replayed, if a data folder has them) and the
   * consumer groups an existing hub lacks, while clients are connected. An existing hub keeps its partition
   * count. Names compare case-insensitively, as in Event Hubs.
   */
  ensure(configs: ReadonlyArray<HubConfig>, nowMs: number): void {
    for (const config of configs) {
      const groups = config.consumerGroups.map((g) => g.toLowerCase());
      const existing = this.hubs.get(config.name.toLowerCase());
      if (existing !== undefined) {
        groups.forEach((g) => existing.consumerGroups.add(g));
        continue;
      }
      const dir = this.dataDir === undefined ? undefined : join(this.dataDir, config.name);
      if (dir !== undefined) mkdirSync(dir, { recursive: true });
      const partitions = Array.from({ length: config.partitionCount }, (_, i) =>
        PartitionLog.open(dir === undefined ? undefined : join(dir, `${i}.log`)),
      );
      this.hubs.set(config.name.toLowerCase(), {
        name: config.name,
        consumerGroups: new Set(groups),
        partitions,
        createdAtMs: nowMs,
      });
    }
  }

  hub(name: string): Hub | undefined {
    return this.hubs.get(name.toLowerCase());
  }

  /** Resolves a link address, or says which part of it does not exist. */
  resolve(address: string): Address | AmqpFailure {
    const path = entityPath(address);
    const segments = path.split("/");
    const hub = this.hub(segments[0] ?? "");
    if (hub === undefined) return notFound(path);
    const partitionAt = (index: number): number | undefined => {
      const raw = segments[index] ?? "";
      const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
      return n < hub.partitions.length ? n : undefined;
    };
    const [, first, group, third] = segments.map((s) => s.toLowerCase());
    if (segments.length === 1) return { kind: "Hub", hub };
    if (segments.length === 3 && first === "partitions") {
      const partition = partitionAt(2);
      return partition === undefined ? notFound(path) : { kind: "Partition", hub, partition };
    }
    if (segments.length === 5 && first === "consumergroups" && third === "partitions") {
      const partition = partitionAt(4);
      if (group === undefined || !hub.consumerGroups.has(group) || partition === undefined)
        return notFound(path);
      return { kind: "ConsumerPartition", hub, consumerGroup: group, partition };
    }
    return notFound(path);
  }

  async close(): Promise<void> {
    await Promise.all([...this.hubs.values()].flatMap((hub) => hub.partitions.map((log) => log.close())));
  }
}
