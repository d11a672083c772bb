import { withReadThroughCache } from "../../adapters/tables/cachedWebhookStore";
import { type HealthAttempt, makeTableWebhookHealth } from "../../adapters/tables/webhookHealth";
import { makeTableWebhookStore } from "../../adapters/tables/webhookStore";
import { DAY_MS, SUSTAINED_FAILURE } from "../../domain/health";
import { testSecretCipher } from "../../test-support/secrets";
import { freshTableName, tableClient } from "../../test-support/storage";
import { makeHealthRecorder } from "./healthRecorder";

const SECRET = `whsec_${Buffer.from("a-test-secret-of-32-bytes-long!!").toString("base64")}`;
const T0 = Date.parse("2026-03-01T00:00:00Z");

const setup = async (autoDisableAfterMs = 5 * DAY_MS) => {
  let now = T0;
  const clock = { now: () => new Date(now) };
  const webhooks = withReadThroughCache(
    makeTableWebhookStore(tableClient(freshTableName("Wh")), clock, testSecretCipher()),
    0,
    clock,
  );
  const input = {
    url: "https://receiver.example/x",
    subscriptions: ["ping" as const],
    headers: {},
    disabled: false,
  };
  await webhooks.create("wh1", { ...input, attributes: { name: "wh1" } }, SECRET);
  const health = makeTableWebhookHealth(tableClient(freshTableName("Health")), clock);
  const warnings: string[] = [];
  const recorder = makeHealthRecorder({
    health,
    webhooks,
    autoDisableAfterMs,
    warn: (m) => warnings.push(m),
  });
  /** A chunk of one attempt at the clock's time, `days` after T0. */
  const chunk = async (days: number, delivered: boolean): Promise<void> => {
    now = T0 + days * DAY_MS;
    const attempt: HealthAttempt = {
      webhookId: "wh1",
      at: new Date(now).toISOString(),
      outcome: delivered ? "delivered" : "retryable",
      status: delivered ? 200 : 503,
    };
    await recorder.record([attempt]);
  };
  return { webhooks, health, chunk, warnings, input, setNow: (days: number) => (now = T0 + days * DAY_MS) };
};

describe("endpoint health on the delivery path, with the sustained-failure rule (injected clock)", () => {
  it("disables a webhook whose every delivery failed for AUTO_DISABLE_AFTER, with the reason and time", async () => {
    const { webhooks, chunk, warnings } = await setup();
    await chunk(0, true);
    await chunk(1, false);
    await chunk(5.9, false);
    expect((await webhooks.get("wh1"))?.webhook.disabled).toBe(false);
    await chunk(6, false);
    const disabled = (await webhooks.get("wh1"))?.webhook;
    expect(disabled).toMatchObject({
      disabled: true,
      disabledReason: SUSTAINED_FAILURE,
      stateChangedAt: new Date(T0 + 6 * DAY_MS).toISOString(),
    });
    expect(warnings.join("\n")).toContain("sustained-failure");
  });

  it("does not disable when one delivery in the window succeeded, or when the rule is off", async () => {
    const healthy = await setup();
    await healthy.chunk(0, false);
    await healthy.chunk(3, true);
    await healthy.chunk(4, false);
    await healthy.chunk(8.9, false);
    expect((await healthy.webhooks.get("wh1"))?.webhook.disabled).toBe(false);
    const off = await setup(0);
    await off.chunk(0, false);
    await off.chunk(30, false);
    expect((await off.webhooks.get("wh1"))?.webhook.disabled).toBe(false);
  });

  it("re-enabling is an explicit update and gives a full new window", async () => {
    const { webhooks, chunk, input, setNow } = await setup();
    await chunk(0, false);
    await chunk(5, false);
    expect((await webhooks.get("wh1"))?.webhook.disabledReason).toBe(SUSTAINED_FAILURE);
    setNow(7);
    const replaced = await webhooks.replace("wh1", { ...input, attributes: { name: "wh1" } });
    expect(replaced.kind === "replaced" && replaced.stored.webhook).toMatchObject({ disabled: false });
    expect(replaced.kind === "replaced" && replaced.stored.webhook.disabledReason).toBeUndefined();
    await chunk(8, false);
    await chunk(11.9, false);
    expect((await webhooks.get("wh1"))?.webhook.disabled).toBe(false);
    await chunk(12, false);
    expect((await webhooks.get("wh1"))?.webhook.disabled).toBe(true);
  });

  it("never rejects: a health store that fails is logged, and the chunk goes on", async () => {
    const { webhooks } = await setup();
    const warnings: string[] = [];
    const recorder = makeHealthRecorder({
      health: { record: () => Promise.reject(new Error("storage unreachable")) },
      webhooks,
      autoDisableAfterMs: DAY_MS,
      warn: (m) => warnings.push(m),
    });
    await expect(
      recorder.record([
        { webhookId: "wh1", at: new Date(T0).toISOString(), outcome: "retryable", status: 503 },
      ]),
    ).resolves.toBeUndefined();
    expect(warnings).toEqual(["endpoint health update failed for 1 attempts: storage unreachable"]);
  });
});
