import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";

import type { ReceivedEventData } from "@azure/event-hubs";
import { type RunningEventHubsEmulator, startEventHubsEmulator } from "functions-local-host";
import { Clients, collect, earliestEventPosition } from "functions-local-host/testing";

import { bufferedIo, type CliIo } from "./cliArgs";
import { parseEventLines, producerFor, publishCommand } from "./publishCommand";

interface Received {
  readonly body: unknown;
  readonly partitionId: string;
  readonly partitionKey: string | undefined;
}

describe("dispatcher publish", () => {
  let emulator: RunningEventHubsEmulator;
  let clients: Clients;
  let dir: string;

  beforeEach(async () => {
    emulator = await startEventHubsEmulator({ port: 0 });
    clients = new Clients(emulator);
    dir = mkdtempSync(path.join(tmpdir(), "publish-"));
  });
  afterEach(async () => {
    await clients.closeAll();
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A CliIo whose environment points at the in-process endpoint, as `npm start` would via runtime.json. */
  const ioFor = (overrides: Partial<CliIo> = {}) =>
    bufferedIo({
      env: { EVENTHUB_CONNECTION: emulator.connectionString("io-events") },
      cwd: dir,
      ...overrides,
    });

  /** Reads `count` events back from every partition (greedy balancing, from the earliest position). */
  const readBack = async (count: number): Promise<ReadonlyArray<Received>> => {
    const received: Received[] = [];
    const consumer = clients.consumer();
    const { done, subscription } = collect(
      (handlers) =>
        consumer.subscribe(
          {
            ...handlers,
            processEvents: (events: ReceivedEventData[], context) => {
              for (const e of events)
                received.push({
                  body: e.body,
                  partitionId: context.partitionId,
                  partitionKey: e.partitionKey ?? undefined,
                });
              return handlers.processEvents(events, context);
            },
          },
          { startPosition: earliestEventPosition, maxBatchSize: 500 },
        ),
      count,
    );
    await done;
    await subscription.close();
    return received;
  };

  it("publishes one event given as an argument and says so on stdout", async () => {
    const { io, stdout, stderr } = ioFor();
    const code = await publishCommand(['{"name":"ping:all"}'], io);
    expect({ code, stderr: stderr() }).toEqual({ code: 0, stderr: "" });
    expect(stdout()).toBe("published 1 event to io-events\n");
    expect((await readBack(1)).map((e) => e.body)).toEqual([{ name: "ping:all" }]);
  });

  it("publishes an array argument with --json output and warns about names outside the catalogue", async () => {
    const { io, stdout, stderr } = ioFor();
    const events = [{ name: "ping:all" }, { name: "nope" }, { payload: {} }];
    const code = await publishCommand([JSON.stringify(events), "--json"], io);
    expect(code).toBe(0);
    expect(JSON.parse(stdout())).toEqual({ published: 3 });
    expect(stderr()).toMatch(/^warning: 2 of 3 events have a name outside the catalogue/);
    const bodies = (await readBack(3)).map((e) => e.body);
    expect(bodies).toEqual(expect.arrayContaining(events));
  });

  it("publishes a file of JSON lines, skipping blank lines", async () => {
    const file = path.join(dir, "events.jsonl");
    const lines = Array.from({ length: 30 }, (_, n) => JSON.stringify({ name: "ping:all", payload: {}, n }));
    writeFileSync(file, lines.slice(0, 10).join("\n") + "\n\n" + lines.slice(10).join("\r\n") + "\n");
    const { io, stdout } = ioFor();
    expect(await publishCommand(["--file", "events.jsonl"], io)).toBe(0);
    expect(stdout()).toBe("published 30 events to io-events\n");
    const ns = (await readBack(30)).map((e) => (e.body as { n: number }).n);
    expect([...ns].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, n) => n));
  });

  it("sends every event with --partition-key to one partition, in order", async () => {
    const lines = Array.from({ length: 50 }, (_, n) => JSON.stringify({ name: "profile:completed", n }));
    const stdin = Object.assign(Readable.from([lines.join("\n")]), { isTTY: false });
    const { io } = ioFor({ stdin });
    expect(await publishCommand(["--partition-key", "citizen-1"], io)).toBe(0);
    const received = await readBack(50);
    expect(new Set(received.map((e) => e.partitionId)).size).toBe(1);
    expect(new Set(received.map((e) => e.partitionKey))).toEqual(new Set(["citizen-1"]));
    expect(received.map((e) => (e.body as { n: number }).n)).toEqual(Array.from({ length: 50 }, (_, n) => n));
  });

  it("refuses a file with bad lines before sending anything, naming up to 10 line numbers", async () => {
    const lines = Array.from({ length: 20 }, (_, n) =>
      n % 2 === 1 ? `{"name": "ping:all", broken ${n}` : JSON.stringify({ name: "ping:all" }),
    );
    writeFileSync(path.join(dir, "bad.jsonl"), lines.join("\n"));
    const { io, stdout, stderr } = ioFor();
    expect(await publishCommand(["--file", "bad.jsonl"], io)).toBe(1);
    expect(stdout()).toBe("");
    expect(stderr()).toContain("10 line(s) are not valid JSON (line 2, 4, 6, 8, 10, 12, 14, 16, 18, 20)");
    expect(stderr()).toContain("nothing was published");
    const consumer = clients.consumer();
    for (const id of await consumer.getPartitionIds()) {
      expect((await consumer.getPartitionProperties(id)).isEmpty).toBe(true);
    }
  });

  it("publishes 5,000 events in several batches with progress lines on stderr", async () => {
    const padding = "x".repeat(400);
    const lines = Array.from({ length: 5000 }, (_, n) => JSON.stringify({ name: "ping:all", n, padding }));
    writeFileSync(path.join(dir, "many.jsonl"), lines.join("\n"));
    const { io, stdout, stderr } = ioFor();
    expect(await publishCommand(["--file", "many.jsonl"], io)).toBe(0);
    expect(stdout()).toBe("published 5,000 events to io-events\n");
    const progress = stderr().trim().split("\n");
    // Several batches: at least one progress line before the last one, and the last one says all.
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0]).toMatch(/^published [\d,]+ \/ 5,000 events$/);
    expect(progress[0]).not.toBe("published 5,000 / 5,000 events");
    expect(progress[progress.length - 1]).toBe("published 5,000 / 5,000 events");
    const ns = new Set((await readBack(5000)).map((e) => (e.body as { n: number }).n));
    expect(ns.size).toBe(5000);
  });

  it("rewrites the progress line in place when stderr is a terminal", async () => {
    const lines = Array.from({ length: 3000 }, (_, n) =>
      JSON.stringify({ name: "ping:all", n, pad: "y".repeat(500) }),
    );
    writeFileSync(path.join(dir, "tty.jsonl"), lines.join("\n"));
    const { io, stderr } = ioFor({ errIsTty: true });
    expect(await publishCommand(["--file", "tty.jsonl"], io)).toBe(0);
    const clearToEnd = "\x1b[K";
    const rewrites = stderr().split(clearToEnd);
    expect(rewrites[rewrites.length - 1]).toBe("\n");
    for (const rewrite of rewrites.slice(0, -1))
      expect(rewrite).toMatch(/^\rpublished [\d,]+ \/ 3,000 events$/);
    expect(stderr()).toContain("\rpublished 3,000 / 3,000 events");
  });

  it("gives a usage error (exit 2) for unknown options and for both EVENTS_JSON and --file", async () => {
    const unknown = ioFor();
    expect(await publishCommand(["--nope"], unknown.io)).toBe(2);
    expect(unknown.stderr()).toContain("Unknown option '--nope'");
    expect(unknown.stderr()).toContain("Usage: dispatcher publish");
    const both = ioFor();
    expect(await publishCommand(["{}", "--file", "x"], both.io)).toBe(2);
    const noInput = ioFor();
    expect(await publishCommand([], noInput.io)).toBe(2);
    expect(noInput.stderr()).toContain("pipe JSON lines into stdin");
  });

  it("never shows the SharedAccessKey when the endpoint cannot be reached", async () => {
    const secret = "c2VjcmV0LWtleS12YWx1ZQ==";
    const { io, stderr } = bufferedIo({ cwd: dir });
    const cs = `Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=k;SharedAccessKey=${secret};UseDevelopmentEmulator=true`;
    const code = await publishCommand(["{}", "--connection-string", cs, "--hub", "io-events"], io);
    expect(code).toBe(1);
    expect(stderr()).toContain(
      "Cannot connect to the Event Hubs endpoint (io-events) at 127.0.0.1:1 (ECONNREFUSED)",
    );
    expect(stderr()).not.toContain(secret);
  });
});

describe("parseEventLines", () => {
  it("reads a whole JSON array, else one event per line", () => {
    expect(parseEventLines('[{"a":1},\n{"a":2}]', "f")).toEqual([{ a: 1 }, { a: 2 }]);
    expect(parseEventLines('[1]\n{"a":2}\n', "f")).toEqual([[1], { a: 2 }]);
  });

  it("names at most 10 bad lines and counts the rest", () => {
    const text = Array.from({ length: 13 }, () => "{").join("\n");
    expect(() => parseEventLines(text, "f")).toThrow(
      "f: 13 line(s) are not valid JSON (line 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 3 more)",
    );
  });
});

describe("dispatcher publish: the producer for an identity-based connection", () => {
  it("connects to the namespace with the credential of the identity settings (built on loopback, never asked for a token)", async () => {
    const asked: unknown[] = [];
    const producer = producerFor(
      {
        kind: "identity",
        fullyQualifiedNamespace: "127.0.0.1",
        credential: { kind: "managedIdentity", clientId: "client-1" },
        hubName: "io-events",
        endpoint: "127.0.0.1",
        host: "127.0.0.1",
        port: 5671,
      },
      (credential) => {
        asked.push(credential);
        return { getToken: () => Promise.reject(new Error("the test never sends")) };
      },
    );
    expect(producer.fullyQualifiedNamespace).toBe("127.0.0.1");
    expect(producer.eventHubName).toBe("io-events");
    expect(asked).toEqual([{ kind: "managedIdentity", clientId: "client-1" }]);
    await producer.close();
  });
});
