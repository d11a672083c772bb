import { always } from "./agent/responses";
import { type RuntimeProcess, startRuntimeProcess } from "./agent/runtimeProcess";
import { TestAgent } from "./agent/testAgent";
import { waitFor, waitForValue } from "./agent/waitFor";
import { SUITE_RUNTIME_SETTINGS } from "./setup/runningSuite";

// Endpoint health and the sustained-failure rule over the wire: a runtime of its own (in memory) with
// AUTO_DISABLE_AFTER shortened to 3 s, a real receiver that always answers 503, pings through the admin API.

interface Health {
  state: "active" | "disabled";
  disabledReason?: string;
  consecutiveFailures: number;
  last24Hours: { deliveries: number; failures: number; successRate?: number };
  lastSuccess?: { at: string; status?: number };
  lastFailure?: { at: string; status?: number; error?: string };
  failingSince?: string;
  autoDisableAt?: string;
}

describe("endpoint health and sustained-failure auto-disable", () => {
  let runtime: RuntimeProcess;
  let agent: TestAgent;

  beforeAll(async () => {
    runtime = await startRuntimeProcess({ ...SUITE_RUNTIME_SETTINGS, AUTO_DISABLE_AFTER: "3s" });
    agent = new TestAgent({
      adminUrl: runtime.info.adminUrl,
      adminKey: runtime.info.adminKey,
      eventHubConnection: runtime.info.eventHubConnectionString,
      eventHubName: runtime.info.eventHubName,
      receiverHost: "127.0.0.1",
      receiverBindHost: "127.0.0.1",
    });
  });
  afterAll(async () => {
    await agent?.close();
    await runtime?.stop();
  });

  const health = async (id: string): Promise<Health> => {
    const response = await agent.admin.http.get<Health>(`/webhooks/${id}/health`);
    expect(response.status).toBe(200);
    return response.data;
  };

  it("moves a failing receiver's health and disables its webhook once every delivery failed for 3 s", async () => {
    const receiver = await agent.receiver("failing", always(200));
    const { webhook } = await agent.subscribe(receiver, {
      subscriptions: ["ping"],
      attributes: { name: "failing" },
    });

    await agent.admin.ping(webhook.id);
    const healthy = await waitForValue(
      async () => {
        const h = await health(webhook.id);
        return h.lastSuccess !== undefined ? h : undefined;
      },
      { what: "a success in the health record" },
    );
    expect(healthy).toMatchObject({ state: "active", consecutiveFailures: 0, lastSuccess: { status: 200 } });

    receiver.respond(always(503));
    await agent.admin.ping(webhook.id);
    const failing = await waitForValue(
      async () => {
        const h = await health(webhook.id);
        return h.consecutiveFailures >= 3 ? h : undefined;
      },
      { what: "three failed attempts in the health record" },
    );
    expect(failing).toMatchObject({ state: "active", lastFailure: { status: 503 } });
    expect(failing.failingSince).toBeDefined();
    expect(Date.parse(failing.autoDisableAt ?? "")).toBe(Date.parse(failing.failingSince ?? "") + 3000);
    expect(failing.last24Hours.failures).toBeGreaterThanOrEqual(3);

    // Keep failing past the window: each ping is three more failed attempts.
    await waitFor(
      async () => {
        const h = await health(webhook.id);
        if (h.state === "disabled") return true;
        // 409: disabled between the read above and this ping (the next read says so).
        const ping = await agent.admin.http.post(`/webhooks/${webhook.id}/ping`);
        expect([202, 409]).toContain(ping.status);
        return false;
      },
      { what: "the webhook to be auto-disabled", intervalMs: 500, timeoutMs: 30_000 },
    );
    const disabled = await health(webhook.id);
    expect(disabled).toMatchObject({ state: "disabled", disabledReason: "sustained-failure" });
    expect(disabled.autoDisableAt).toBeUndefined();
    const stored = await agent.admin.get(webhook.id);
    expect(stored).toMatchObject({ disabled: true, disabledReason: "sustained-failure" });
    expect(Date.parse(disabled.lastFailure?.at ?? "")).toBeGreaterThanOrEqual(
      Date.parse(disabled.failingSince ?? "") + 3000,
    );
    expect((await agent.admin.http.post(`/webhooks/${webhook.id}/ping`)).status).toBe(409);

    const listed = await agent.admin.http.get<{ items: Array<{ id: string; health?: Health }> }>(
      "/webhooks",
      {
        params: { include: "health" },
      },
    );
    expect(listed.data.items.find((i) => i.id === webhook.id)?.health).toMatchObject({
      state: "disabled",
      disabledReason: "sustained-failure",
    });
  });
});
