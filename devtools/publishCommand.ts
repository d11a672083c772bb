import { readFile } from "node:fs/promises";
import path from "node:path";

import { type EventData, EventHubProducerClient } from "@azure/event-hubs";

import { azureCredential, type CredentialFactory } from "../src/adapters/azureCredential";
import { INCOMING_EVENT_NAMES } from "../src/domain/events";
import { type CliIo, CommandError, formatCount, parseCommandArgs, runCommand, UsageError } from "./cliArgs";
import { checkLocalEndpoint, type EventHubTarget, redactSecrets, resolveEventHubTarget } from "./runtimeInfo";
import { statusLine } from "./statusLine";

export const PUBLISH_USAGE = `Usage: dispatcher publish [EVENTS_JSON] [options]
  Publishes events to the Event Hub the dispatcher reads. Events are not checked against the catalogue:
  malformed events are a legitimate test (the dispatcher records them as rejected).
  EVENTS_JSON                 one event as a JSON object, or a JSON array of events
  --file F                    a file of JSON lines (one event per line) or a JSON array
                              (neither EVENTS_JSON nor --file: JSON lines from stdin)
  --partition-key K           send every event with this partition key (all land on one partition, in order)
  --connection-string CS      Event Hubs connection string (else EVENTHUB_CONNECTION, else
                              EVENTHUB_CONNECTION__fullyQualifiedNamespace with Azure identity, else runtime.json)
  --hub H                     Event Hub name (else EntityPath, EVENTHUB_NAME, runtime.json)
  --json                      print {"published": N} instead of a sentence`;

const OPTIONS = {
  file: { type: "string" },
  "partition-key": { type: "string" },
  "connection-string": { type: "string" },
  hub: { type: "string" },
  json: { type: "boolean" },
} as const;

/** Inputs at least this large get progress lines on stderr. */
const PROGRESS_MIN_EVENTS = 1000;
const MAX_BAD_LINES_SHOWN = 10;

/** One event as JSON, or a JSON array of events. */
export const parseEventsArgument = (text: string): ReadonlyArray<unknown> => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CommandError("EVENTS_JSON is not valid JSON (give one event object or an array of them)");
  }
  return Array.isArray(value) ? (value as ReadonlyArray<unknown>) : [value];
};

/**
 * A JSON array, or JSON lines (blank lines skipped). Failure policy: one bad line refuses the whole input
 * before anything is sent, naming up to 10 line numbers, so a half-published file never has to be untangled.
 */
export const parseEventLines = (text: string, source: string): ReadonlyArray<unknown> => {
  const content = text.replace(/^\uFEFF/, "");
  if (content.trimStart().startsWith("[")) {
    try {
      const whole: unknown = JSON.parse(content);
      if (Array.isArray(whole)) return whole as ReadonlyArray<unknown>;
    } catch {
      // Not one JSON array: read it as JSON lines (a line may itself be an array).
    }
  }
  const events: unknown[] = [];
  const badLines: number[] = [];
  content.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    try {
      events.push(JSON.parse(line));
    } catch {
      badLines.push(index + 1);
    }
  });
  if (badLines.length > 0) {
    const shown = badLines.slice(0, MAX_BAD_LINES_SHOWN).join(", ");
    const more =
      badLines.length > MAX_BAD_LINES_SHOWN ? ` and ${badLines.length - MAX_BAD_LINES_SHOWN} more` : "";
    throw new CommandError(
      `${source}: ${badLines.length} line(s) are not valid JSON (line ${shown}${more}); nothing was published`,
    );
  }
  return events;
};

/** Events whose `name` is not one of the catalogue's (they will be rejected by the dispatcher). */
export const countUnknownNames = (events: ReadonlyArray<unknown>): number =>
  events.filter((event) => {
    const name = typeof event === "object" && event !== null ? (event as { name?: unknown }).name : undefined;
    return typeof name !== "string" || !(INCOMING_EVENT_NAMES as ReadonlyArray<string>).includes(name);
  }).length;

const readStdin = async (stdin: CliIo["stdin"]): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
};

const readEvents = async (
  argument: string | undefined,
  file: string | undefined,
  io: CliIo,
): Promise<ReadonlyArray<unknown>> => {
  if (argument !== undefined && file !== undefined) {
    throw new UsageError("Give events either as EVENTS_JSON or with --file, not both", PUBLISH_USAGE);
  }
  if (argument !== undefined) return parseEventsArgument(argument);
  if (file !== undefined) {
    const text = await readFile(path.resolve(io.cwd, file), "utf8").catch((error: NodeJS.ErrnoException) => {
      throw new CommandError(`Cannot read ${file}: ${error.code ?? error.message}`);
    });
    return parseEventLines(text, file);
  }
  if (io.stdin.isTTY === true) {
    throw new UsageError(
      "No events: give EVENTS_JSON, --file F, or pipe JSON lines into stdin",
      PUBLISH_USAGE,
    );
  }
  return parseEventLines(await readStdin(io.stdin), "stdin");
};

/** "published 12,000 / 50,000 events" on stderr, every 1,000 events or once a second; in place on a TTY. */
const progressLine = (io: CliIo, total: number) => {
  const line = statusLine(io);
  let lastAt = io.now();
  let lastCount = 0;
  return {
    update(published: number): void {
      if (total < PROGRESS_MIN_EVENTS) return;
      const crossedThousand = Math.floor(published / 1000) > Math.floor(lastCount / 1000);
      if (!crossedThousand && io.now() - lastAt < 1000) return;
      const text = `published ${formatCount(published)} / ${formatCount(total)} events`;
      line.show(text);
      lastAt = io.now();
      lastCount = published;
    },
    end: line.end,
  };
};

/**
 * Sends events in as few batches as fit (a new batch when `tryAdd` refuses), each as a JSON body. With a
 * partition key every batch carries it, so the events stay in order on one partition. Returns the batch count.
 */
export const publishEvents = async (
  producer: EventHubProducerClient,
  events: ReadonlyArray<unknown>,
  options: { partitionKey?: string; onSent?: (published: number) => void },
): Promise<number> => {
  const batchOptions = options.partitionKey === undefined ? {} : { partitionKey: options.partitionKey };
  let batch = await producer.createBatch(batchOptions);
  let published = 0;
  let batches = 0;
  const send = async (): Promise<void> => {
    await producer.sendBatch(batch);
    published += batch.count;
    batches += 1;
    options.onSent?.(published);
  };
  for (const [index, event] of events.entries()) {
    const data: EventData = { body: event, contentType: "application/json" };
    if (batch.tryAdd(data)) continue;
    if (batch.count > 0) {
      await send();
      batch = await producer.createBatch(batchOptions);
      if (batch.tryAdd(data)) continue;
    }
    throw new CommandError(
      `Event ${index + 1} is larger than a batch may be (${formatCount(batch.maxSizeInBytes)} bytes); ` +
        `${formatCount(published)} events before it were published`,
    );
  }
  if (batch.count > 0) await send();
  return batches;
};

/** `dispatcher publish ...`: returns the exit code. */
const PRODUCER_OPTIONS = { retryOptions: { maxRetries: 2, timeoutInMs: 20_000 } };

/** A connection string as given, or the namespace with a token credential (the identity form). */
export const producerFor = (
  target: EventHubTarget,
  credentialFor: CredentialFactory = azureCredential,
): EventHubProducerClient =>
  target.kind === "connectionString"
    ? new EventHubProducerClient(target.connectionString, target.hubName, PRODUCER_OPTIONS)
    : new EventHubProducerClient(
        target.fullyQualifiedNamespace,
        target.hubName,
        credentialFor(target.credential),
        PRODUCER_OPTIONS,
      );

export const publishCommand = async (args: ReadonlyArray<string>, io: CliIo): Promise<number> => {
  const secrets: string[] = [];
  return runCommand(
    io,
    "publish",
    (text) => redactSecrets(text, secrets),
    async () => {
      const parsed = parseCommandArgs(args, OPTIONS, PUBLISH_USAGE, 1);
      if (parsed.help) return io.out(PUBLISH_USAGE + "\n");
      const { options } = parsed;
      const flags = {
        ...(options["connection-string"] === undefined
          ? {}
          : { connectionString: options["connection-string"] }),
        ...(options.hub === undefined ? {} : { hub: options.hub }),
      };
      const target = resolveEventHubTarget(flags, io.env, io.cwd);
      if (target.kind === "connectionString") secrets.push(target.connectionString);
      const events = await readEvents(parsed.positionals[0], options.file, io);
      if (events.length === 0) throw new CommandError("No events to publish");
      const unknown = countUnknownNames(events);
      if (unknown > 0) {
        io.err(
          `warning: ${formatCount(unknown)} of ${formatCount(events.length)} events have a name outside the ` +
            `catalogue (${INCOMING_EVENT_NAMES.join(", ")}); they are sent anyway and the dispatcher will ` +
            `record them as rejected\n`,
        );
      }
      await checkLocalEndpoint(target.host, target.port, `the Event Hubs endpoint (${target.hubName})`);
      const producer = producerFor(target);
      const progress = progressLine(io, events.length);
      let sent = 0;
      try {
        await publishEvents(producer, events, {
          ...(options["partition-key"] === undefined ? {} : { partitionKey: options["partition-key"] }),
          onSent: (published) => {
            sent = published;
            progress.update(published);
          },
        });
      } catch (error) {
        if (error instanceof CommandError) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        throw new CommandError(
          `Cannot publish to ${target.hubName} at ${target.endpoint}: ${reason} ` +
            `(${formatCount(sent)} of ${formatCount(events.length)} events were published before this)`,
        );
      } finally {
        progress.end();
        await producer.close();
      }
      io.out(
        options.json === true
          ? JSON.stringify({ published: events.length }) + "\n"
          : `published ${formatCount(events.length)} ${events.length === 1 ? "event" : "events"} to ${target.hubName}\n`,
      );
    },
  );
};
