import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import axios from "axios";

import { type AdminClient, adminClient } from "./agent/adminClient";
import { type RuntimeProcess, startRuntimeProcess } from "./agent/runtimeProcess";
import { TestAgent } from "./agent/testAgent";
import { waitFor } from "./agent/waitFor";

// The admin API's guards: the function key, and (on a runtime with ALLOW_PRIVATE_NETWORK_TARGETS=false) the
// refusal of webhooks aimed at private or internal addresses.

describe("the admin API's key", () => {
  let agent: TestAgent;

  beforeAll(() => {
    agent = new TestAgent();
  });
  afterEach(() => agent.cleanup());
  afterAll(() => agent.close());

  const anonymous = axios.create({ validateStatus: () => true, timeout: 10_000 });

  it.each([
    ["GET", "/webhooks"],
    ["POST", "/webhooks"],
    ["GET", "/dead-letters"],
    ["POST", "/webhooks/wh_x/rotate-secret"],
  ])("answers %s %s without a key or with a wrong one with 401", async (method, route) => {
    const url = agent.target.adminUrl + route;
    const body = { url: "http://127.0.0.1:9/hook", subscriptions: ["ping"], attributes: { name: "x" } };
    expect((await anonymous.request({ method, url, data: body })).status).toBe(401);
    const wrong = { "x-functions-key": "wrong-key" };
    expect((await anonymous.request({ method, url, data: body, headers: wrong })).status).toBe(401);
  });

  it("serves health without a key", async () => {
    const response = await anonymous.get(`${agent.target.adminUrl}/health`);
    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({ status: "ok" });
  });

  it("pings a webhook on request through the same delivery pipeline", async () => {
    const hook = await agent.subscribe(await agent.receiver("pinged"), {
      subscriptions: ["ping"],
      attributes: { name: "pinged" },
    });
    const { deliveryId } = await agent.admin.ping(hook.webhook.id);
    await waitFor(() => hook.receiver.delivered() === 1, { what: "the ping" });
    expect(hook.receiver.requests[0]).toMatchObject({ webhookId: deliveryId, signatureValid: true });
    expect(hook.receiver.bodies()).toEqual([{ name: "ping", payload: {} }]);
  });
});

describe("a runtime that disallows private network targets", () => {
  let strict: RuntimeProcess | undefined;
  let admin: AdminClient;
  const dataDir = mkdtempSync(path.join(tmpdir(), "dispatcher-integration-strict-"));

  beforeAll(async () => {
    strict = await startRuntimeProcess({
      PORT: "0",
      EVENTHUB_EMULATOR_PORT: "0",
      ALLOW_PRIVATE_NETWORK_TARGETS: "false",
      ALLOW_INSECURE_WEBHOOKS: "true",
      // Its own in-memory Azurite and a throwaway data dir: nothing shared with the suite's runtime.
      AzureWebJobsStorage: "",
      DATA_DIR: dataDir,
    });
    admin = adminClient(strict.info.adminUrl, strict.info.adminKey);
  }, 60_000);
  afterAll(async () => {
    await strict?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each([
    "http://127.0.0.1:8080/hook",
    "http://10.1.2.3/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0x7f000001/hook",
  ])("refuses %s at registration with 400 naming /url", async (url) => {
    const response = await admin.http.post("/webhooks", {
      url,
      subscriptions: ["ping"],
      attributes: { name: "x" },
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.data)).toContain("/url");
    expect(JSON.stringify(response.data)).not.toContain(url);
  });

  it("accepts a public host name", async () => {
    const created = await admin.register({
      url: "https://receiver.example/hook",
      subscriptions: ["ping"],
      attributes: { name: "public" },
    });
    await admin.remove(created.id);
  });
});
