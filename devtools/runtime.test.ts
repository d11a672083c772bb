import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import { EventHubProducerClient } from "@azure/event-hubs";

import { type RuntimeProcess, startRuntimeProcess } from "../__integrations__/agent/runtimeProcess";
import { waitFor as waitUntil } from "../__integrations__/agent/waitFor";
import { startServer, type TestServer } from "../src/adapters/delivery/testServers";

/** The compiled runtime (npm test builds first), on free ports, persistent unless `--in-memory` is passed. */
const spawnRuntime = (
  env: Record<string, string>,
  args: ReadonlyArray<string> = [],
): Promise<RuntimeProcess> =>
  startRuntimeProcess(
    { PORT: "0", EVENTHUB_EMULATOR_PORT: "0", LOG_LEVEL: "information", ...env },
    { inMemory: args.includes("--in-memory"), timeoutMs: 30_000 },
  );
const waitFor = (check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> =>
  waitUntil(check, { what, timeoutMs });

/** The compiled local runtime as a child process: what `npm start` runs, driven as a user would. */
jest.setTimeout(120_000);

const admin = (
  rt: RuntimeProcess,
  route: string,
  init: RequestInit = {},
  key: string | null = rt.info.adminKey,
) =>
  fetch(`${rt.info.adminUrl}${route}`, {
    ...init,
    headers: {
      "content-type": "application/json",
      ...(key === null ? {} : { "x-functions-key": key }),
      ...init.headers,
    },
  });

const publish = async (rt: RuntimeProcess, bodies: ReadonlyArray<unknown>): Promise<void> => {
  const producer = new EventHubProducerClient(rt.info.eventHubConnectionString);
  try {
    let batch = await producer.createBatch();
    for (const body of bodies) {
      if (!batch.tryAdd({ body })) {
        await producer.sendBatch(batch);
        batch = await producer.createBatch();
        batch.tryAdd({ body });
      }
    }
    if (batch.count > 0) await producer.sendBatch(batch);
  } finally {
    await producer.close();
  }
};

const uniqueIds = (server: TestServer): number =>
  new Set(server.requests.map((r) => r.headers["webhook-id"])).size;

const registerPingWebhook = async (
  rt: RuntimeProcess,
  receiver: TestServer,
  name: string,
): Promise<string> => {
  const response = await admin(rt, "/webhooks", {
    method: "POST",
    body: JSON.stringify({ url: `${receiver.url}/hook`, subscriptions: ["ping"], attributes: { name } }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
};

describe("local runtime (dispatcher start)", () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ped-runtime-"));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it("serves the app's HTTP triggers under their routes and auth levels", async () => {
    const rt = await spawnRuntime({ DATA_DIR: tempDir(), ADMIN_KEY: "local-test-key" }, ["--in-memory"]);
    try {
      expect(rt.info).toMatchObject({ ready: true, adminKey: "local-test-key", eventHubName: "io-events" });
      expect(rt.info.eventHubConnectionString).toMatch(
        /^Endpoint=sb:\/\/127\.0\.0\.1:\d+;.*EntityPath=io-events$/,
      );
      const health = await admin(rt, "/health", {}, null);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "ok" });
      expect((await admin(rt, "/webhooks", {}, null)).status).toBe(401);
      expect((await admin(rt, "/webhooks", {}, "wrong-key")).status).toBe(401);
      expect((await fetch(`${rt.info.adminUrl}/webhooks?code=local-test-key`)).status).toBe(200);
      expect((await admin(rt, "/no-such-route")).status).toBe(404);
      // A method the route does not take is 404, as the Functions host answers it in Azure.
      expect((await admin(rt, "/webhooks/x", { method: "PATCH" })).status).toBe(404);
      const created = await admin(rt, "/webhooks", { method: "POST", body: JSON.stringify({ url: "x" }) });
      expect(created.status).toBe(400);
      expect(created.headers.get("content-type")).toBe("application/problem+json");
    } finally {
      await rt.stop();
    }
  });

  it("feeds Event Hub batches to the trigger and delivers; a restart does not replay checkpointed events", async () => {
    const dataDir = tempDir();
    const receiver = await startServer((_r, res) => res.writeHead(204).end());
    let rt = await spawnRuntime({ DATA_DIR: dataDir, WEBHOOK_CACHE_TTL_SECONDS: "0" });
    try {
      await registerPingWebhook(rt, receiver, "wh1");
      await publish(rt, [
        ...Array.from({ length: 30 }, () => ({ name: "ping", payload: { name: "wh1" } })),
        "not json",
        { name: "ping", payload: {} },
      ]);
      await waitFor(() => uniqueIds(receiver) === 30, "30 deliveries");
      await rt.stop();
      rt = await spawnRuntime({ DATA_DIR: dataDir, WEBHOOK_CACHE_TTL_SECONDS: "0" });
      await publish(rt, [{ name: "ping", payload: { name: "wh1" } }]);
      await waitFor(() => uniqueIds(receiver) === 31, "the event published after the restart");
      // Bounded absence check: nothing checkpointed before the restart is delivered again.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(receiver.requests).toHaveLength(31);
      // The webhook stored before the restart decrypted after it: the key is the data folder's, kept owner-only
      // and never printed.
      const keyFile = path.join(dataDir, "secrets.key");
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      const key = readFileSync(keyFile, "utf8").trim().split(":")[1] ?? "";
      expect(key).toHaveLength(44);
      expect(rt.stdout() + rt.stderr()).not.toContain(key);
    } finally {
      await rt.stop();
      await receiver.close();
    }
  });

  it("never writes a fiscal code it delivers or rejects to its stdout or stderr", async () => {
    const fiscalCode = "RSSMRA80A01H501U";
    const receiver = await startServer((_r, res) => res.writeHead(204).end());
    // Trace: every log line the runtime has is written.
    const rt = await spawnRuntime({ DATA_DIR: tempDir(), LOG_LEVEL: "trace" }, ["--in-memory"]);
    try {
      const created = await admin(rt, "/webhooks", {
        method: "POST",
        body: JSON.stringify({
          url: `${receiver.url}/hook`,
          subscriptions: ["service:subscribed"],
          attributes: { serviceId: "aServiceId" },
        }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      await publish(rt, [
        // Remapped to service:subscribed for the webhook's serviceId and delivered with the fiscal code.
        { name: "profile:completed", payload: { fiscalCode, servicePreferencesMode: "AUTO" } },
        // Rejected (unknown mode): its reasons must not quote the value either.
        { name: "profile:completed", payload: { fiscalCode, servicePreferencesMode: "SOMETIMES" } },
      ]);
      await waitFor(() => receiver.requests.length === 1, "the service:subscribed delivery");
      expect(receiver.requests[0]!.body.includes(fiscalCode)).toBe(true);
      // The attempt is in the delivery log once the deliver activity is done with it.
      await waitUntil(
        async () => {
          const response = await admin(rt, `/webhooks/${id}/deliveries`);
          const { items } = (await response.json()) as { items: ReadonlyArray<{ outcome: string }> };
          return items.some((item) => item.outcome === "delivered");
        },
        { what: "the delivered attempt in the delivery log", timeoutMs: 20_000 },
      );
      // Bounded wait for what the runtime logs after the activity (orchestration completion, checkpoints).
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // The logs were captured (else the absence below proves nothing); a leak is shown masked.
      expect(rt.stderr()).toMatch(/^\[information\] /m);
      const leaks = (rt.stdout() + rt.stderr())
        .split("\n")
        .filter((line) => line.includes(fiscalCode))
        .map((line) => line.replaceAll(fiscalCode, "<fiscal code>"));
      expect(leaks).toEqual([]);
    } finally {
      await rt.stop();
      await receiver.close();
    }
  });

  it("finishes the undelivered work after a SIGKILL mid-way and a restart", async () => {
    const dataDir = tempDir();
    // A slow receiver, so the fan-out is still under way when the runtime is killed.
    const receiver = await startServer((_r, res) => setTimeout(() => res.writeHead(200).end(), 20));
    // Chunks of 10 deliveries, so what can be in flight at the kill is well below what is published.
    const settings = { DATA_DIR: dataDir, WEBHOOK_CACHE_TTL_SECONDS: "0", DELIVERY_CHUNK_SIZE: "10" };
    let rt = await spawnRuntime(settings);
    const expected = 300;
    try {
      await registerPingWebhook(rt, receiver, "wh1");
      await publish(
        rt,
        Array.from({ length: expected }, () => ({ name: "ping", payload: { name: "wh1" } })),
      );
      await waitFor(() => uniqueIds(receiver) >= 20, "the first deliveries");
      await rt.kill();
      // Requests already on the wire when the process died are read by the receiver in the next ticks.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const beforeRestart = uniqueIds(receiver);
      const requestsAtKill = receiver.requests.length;
      expect(beforeRestart).toBeLessThan(expected);
      rt = await spawnRuntime(settings);
      await waitFor(() => uniqueIds(receiver) === expected, `all ${expected} deliveries`, 60_000);
      const duplicates = receiver.requests.length - uniqueIds(receiver);
      // At least once: a deliver activity in flight at the kill is re-sent whole after the restart, with the same
      // webhook-ids. So a duplicate is a delivery that had arrived before the kill, and only one of at most
      // maxConcurrentActivityFunctions (host.json) activities of one chunk each; anything more means the
      // restart re-sent work whose result was already saved, or sent something twice after it.
      const hostJson = JSON.parse(readFileSync(path.join(__dirname, "..", "host.json"), "utf8")) as {
        extensions: { durableTask: { maxConcurrentActivityFunctions: number } };
      };
      const inFlightBound = hostJson.extensions.durableTask.maxConcurrentActivityFunctions * 10;
      expect(duplicates).toBeLessThanOrEqual(Math.min(requestsAtKill, inFlightBound));
    } finally {
      await rt.stop();
      await receiver.close();
    }
  });

  it("refuses to start with a malformed SECRETS_ENCRYPTION_KEYS, naming the setting and never its value", async () => {
    const shortKey = Buffer.from("sixteen-byte-key").toString("base64");
    const failed = await spawnRuntime({ DATA_DIR: tempDir(), SECRETS_ENCRYPTION_KEYS: `k1:${shortKey}` }, [
      "--in-memory",
    ]).then(
      async (rt) => {
        await rt.stop();
        return new Error("the runtime started");
      },
      (error: unknown) => error as Error,
    );
    expect(failed.message).toMatch(
      /SECRETS_ENCRYPTION_KEYS is invalid: .*entry 1's key is not base64 of 32 bytes/,
    );
    expect(failed.message).not.toContain(shortKey);
  });

  it("refuses to start on a taken port, naming the port and its variable", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(
        spawnRuntime({ DATA_DIR: tempDir(), PORT: String(port) }, ["--in-memory"]),
      ).rejects.toThrow(new RegExp(`Port ${port} is already in use: set PORT`));
    } finally {
      blocker.close();
    }
  });
});
