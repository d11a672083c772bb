import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { adminClient } from "../agent/adminClient";
import { startReceiver, type WebhookReceiver } from "../agent/receiver";
import { type RuntimeProcess, startRuntimeProcess } from "../agent/runtimeProcess";
import { waitFor } from "../agent/waitFor";
import { publishMany } from "./support/bulkPublish";
import { FAULT_RUNTIME_SETTINGS } from "./support/faultStack";

// Every way the runtime is stopped, as `npm start` runs it: its own embedded Azurite and Event Hubs endpoint on a
// persistent DATA_DIR, the runtime in a process group of its own (as a terminal session). 600 `ping:all` to a
// receiver that answers in 100 ms; the stop comes after about 30 receipts; a new runtime starts on the same data.
// Graceful stops (SIGHUP: the terminal was closed; SIGTERM: a service manager; SIGINT: Ctrl+C) must exit 0 and
// lose and repeat nothing. SIGKILL of everything (the runtime's group and its Azurite: a power cut, as far as
// processes go) a moment after a 201 must keep the webhook it created and lose no delivery.

const EVENTS = 600;
const RECEIPTS_BEFORE_STOP = 30;
// Small chunks, so a stop finds deliveries still to start (the drain only finishes the ones in flight).
const CHUNK_SIZE = 20;

interface Run {
  readonly dataDir: string;
  runtime: RuntimeProcess;
  readonly receiver: WebhookReceiver;
  readonly webhookId: string;
}

const launch = (dataDir: string): Promise<RuntimeProcess> =>
  startRuntimeProcess(
    {
      ...FAULT_RUNTIME_SETTINGS,
      DATA_DIR: dataDir,
      AzureWebJobsStorage: "",
      EVENTHUB_CONNECTION: "",
      DELIVERY_CHUNK_SIZE: String(CHUNK_SIZE),
    },
    { inMemory: false, detached: true },
  );

const begin = async (name: string): Promise<Run> => {
  const dataDir = mkdtempSync(path.join(tmpdir(), `dispatcher-stop-${name}-`));
  const runtime = await launch(dataDir);
  const receiver = await startReceiver({
    name,
    bindHost: "127.0.0.1",
    advertisedHost: "127.0.0.1",
    delayMs: 100,
  });
  const webhook = await adminClient(runtime.info.adminUrl, runtime.info.adminKey).register({
    url: receiver.url,
    subscriptions: ["ping"],
    attributes: { name },
  });
  receiver.useSecrets(webhook.secret);
  await publishMany(
    runtime.info,
    Array.from({ length: EVENTS }, () => ({ name: "ping:all" })),
  );
  await waitFor(() => receiver.unique() >= RECEIPTS_BEFORE_STOP, {
    timeoutMs: 60_000,
    intervalMs: 5,
    what: `${RECEIPTS_BEFORE_STOP} receipts before the stop`,
  });
  return { dataDir, runtime, receiver, webhookId: webhook.id };
};

/** The restart's deliveries: every one of the EVENTS ids arrives; returns how many came more than once. */
const finish = async (run: Run, label: string, beforeStop: number): Promise<number> => {
  run.runtime = await launch(run.dataDir);
  await waitFor(() => run.receiver.unique() >= EVENTS, {
    timeoutMs: 90_000,
    intervalMs: 50,
    what: `all ${EVENTS} deliveries after the restart`,
    detail: () => `${run.receiver.unique()} unique so far`,
  });
  // Anything late (a resent delivery) would come within a moment of the last new one.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const duplicates = run.receiver.requests.length - run.receiver.unique();
  console.log(
    `${label}: expected ${EVENTS}, unique ${run.receiver.unique()}, lost ${EVENTS - run.receiver.unique()}, ` +
      `duplicates ${duplicates}, ${beforeStop} before the stop`,
  );
  expect(run.receiver.unique()).toBe(EVENTS);
  expect(run.receiver.requests.every((r) => r.signatureValid)).toBe(true);
  return duplicates;
};

const end = async (run: Run | undefined): Promise<void> => {
  if (run === undefined) return;
  await run.runtime.stop(10_000);
  await run.receiver.close();
  rmSync(run.dataDir, { recursive: true, force: true });
};

describe("every way the runtime is stopped", () => {
  let run: Run | undefined;
  afterEach(async () => {
    await end(run);
    run = undefined;
  });

  it.each(["SIGHUP", "SIGTERM", "SIGINT"] as const)(
    "%s to the runtime's group: drains, exits 0, and the restart sends every delivery exactly once",
    async (signal) => {
      run = await begin(signal.toLowerCase());
      run.runtime.signalGroup(signal);
      const exit = await run.runtime.exited();
      const beforeStop = run.receiver.unique();
      expect(exit).toEqual({ code: 0, signal: null });
      expect(beforeStop).toBeLessThan(EVENTS);
      const duplicates = await finish(run, signal, beforeStop);
      expect(duplicates).toBe(0);
    },
    150_000,
  );

  it("SIGKILL of the whole group and its Azurite right after a 201: the webhook stays, no delivery is lost", async () => {
    run = await begin("sigkill");
    const admin = adminClient(run.runtime.info.adminUrl, run.runtime.info.adminKey);
    // A second webhook (its own receiver, not counted), created a moment before everything dies.
    const other = await startReceiver({ name: "late", bindHost: "127.0.0.1", advertisedHost: "127.0.0.1" });
    const late = await admin.register({
      url: other.url,
      subscriptions: ["ping"],
      attributes: { name: "late" },
    });
    // The embedded Azurite runs in its own group (terminal signals never reach it): killed by pid, at once.
    const pidFile = path.join(run.dataDir, "azurite", "azurite.pid");
    const azuritePid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : undefined;
    run.runtime.signalGroup("SIGKILL");
    if (azuritePid !== undefined) process.kill(azuritePid, "SIGKILL");
    expect(azuritePid).toBeGreaterThan(0);
    await run.runtime.exited();
    const beforeStop = run.receiver.unique();

    const duplicates = await finish(run, "SIGKILL of everything", beforeStop);
    const restarted = adminClient(run.runtime.info.adminUrl, run.runtime.info.adminKey);
    expect((await restarted.get(late.id)).id).toBe(late.id);
    await other.close();
    // Only deliveries in flight at the kill may come twice: at most one plan's worth (the fast path's chunk).
    expect(duplicates).toBeLessThanOrEqual(EVENTS - beforeStop);
  }, 150_000);
});
