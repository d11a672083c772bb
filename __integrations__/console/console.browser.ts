import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { type Page } from "playwright-core";

import { deliveryId } from "../../src/domain/deliveryPlan";
import { readWholeHub } from "../agent/hubEvents";
import { verifies } from "../agent/receiver";
import { always, type Responder } from "../agent/responses";
import { type RuntimeProcess, startRuntimeProcess } from "../agent/runtimeProcess";
import { type Subscriber, TestAgent } from "../agent/testAgent";
import { waitFor, waitForValue } from "../agent/waitFor";
import { SUITE_RUNTIME_SETTINGS } from "../setup/runningSuite";
import { type Browser, launchBrowser } from "./browser";

// The operator console in a real browser (Debian's Chromium through playwright-core) against the local runtime
// (its own, in memory: embedded Azurite and Event Hubs endpoint) and real receivers. Screenshots go to
// CONSOLE_SCREENSHOTS_DIR (npm run screenshots: docs/console), else to a temp folder.

/** Markup in an attribute value and in a rejected event's body: the console must show it, never run it. */
const HOSTILE = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;
/** What the failing receiver answers: an error page with a script in it. */
const HOSTILE_ANSWER = `<html><script>window.__pwned=3</script><b>upstream registry unavailable</b></html>`;
/** A header value of the healthy webhook: masked unless the operator reveals it. */
const TOKEN = "Bearer billing-token-8f3a";
/** The subject of the ordered webhook's events: personal data, never shown (the console sees an opaque id). */
const FISCAL_CODE = "HELDAA00A00A000A";
const SHOTS = process.env.CONSOLE_SCREENSHOTS_DIR ?? mkdtempSync(path.join(tmpdir(), "console-screenshots-"));

type TestPage = Awaited<ReturnType<Browser["page"]>>;

/** What the page's globals look like to code run with page.evaluate (this project compiles without the DOM lib). */
interface PageGlobals {
  readonly sessionStorage: {
    readonly length: number;
    key(i: number): string | null;
    getItem(k: string): string | null;
  };
  readonly document: {
    readonly cookie: string;
    readonly activeElement: { readonly id: string; readonly textContent: string | null } | null;
    readonly documentElement: { readonly scrollWidth: number };
  };
}

describe("operator console (Chromium, local runtime, real receivers)", () => {
  let runtime: RuntimeProcess;
  let agent: TestAgent;
  let browser: Browser;
  let page: TestPage;
  let healthy: Subscriber;
  let failing: Subscriber;
  let hostile: Subscriber;
  let deadDeliveryId: string;
  let consoleUrl: string;

  const shot = (p: Page, name: string) => p.screenshot({ path: path.join(SHOTS, name) });
  const pwned = (p: Page) => p.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned);

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    runtime = await startRuntimeProcess({ ...SUITE_RUNTIME_SETTINGS });
    agent = new TestAgent({
      adminUrl: runtime.info.adminUrl,
      adminKey: runtime.info.adminKey,
      eventHubConnection: runtime.info.eventHubConnectionString,
      eventHubName: runtime.info.eventHubName,
      receiverHost: "127.0.0.1",
      receiverBindHost: "127.0.0.1",
    });
    consoleUrl = `${runtime.info.adminUrl}/console`;
    const subscriber = async (
      name: string,
      responder: Responder,
      attributes: Record<string, string>,
      headers: Record<string, string> = {},
    ) =>
      agent.subscribe(await agent.receiver(name, responder), {
        subscriptions: ["ping"],
        attributes,
        headers,
      });
    healthy = await subscriber("healthy", always(200), { name: "billing-service" }, { authorization: TOKEN });
    failing = await subscriber("failing", () => ({ status: 500, body: HOSTILE_ANSWER }), {
      name: "registry-mirror",
    });
    hostile = await subscriber("hostile", always(200), { name: "hostile", note: HOSTILE });
    await agent.admin.ping(healthy.webhook.id);
    await agent.admin.ping(hostile.webhook.id);
    await agent.admin.ping(failing.webhook.id);
    await agent.producer.publish([{ name: "no-such-event", payload: { note: HOSTILE } }]);
    const [letter] = await waitForValue(
      async () => {
        const items = await agent.admin.deadLetters(failing.webhook.id);
        return items.length > 0 ? items : undefined;
      },
      { what: "the failing webhook's dead letter" },
    );
    deadDeliveryId = letter!.deliveryId;
    await waitFor(() => healthy.receiver.delivered() === 1 && hostile.receiver.delivered() === 1, {
      what: "the first pings",
    });
    browser = await launchBrowser();
    page = await browser.page();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await agent?.close();
    await runtime?.stop();
  });

  const signIn = async (p: Page, key: string) => {
    await p.goto(consoleUrl);
    await p.getByLabel("Function key").fill(key);
    await p.getByRole("button", { name: "Sign in" }).click();
  };

  it("serves the page with a strict Content-Security-Policy", async () => {
    const response = await page.goto(consoleUrl);
    const headers = response?.headers() ?? {};
    expect(response?.status()).toBe(200);
    expect(headers["content-security-policy"]).toContain("default-src 'self'");
    expect(headers["content-security-policy"]).not.toContain("unsafe-inline");
    expect(headers["x-content-type-options"]).toBe("nosniff");
  });

  it("tells an operator with a wrong key that the key was not accepted", async () => {
    await signIn(page, "not-the-key");
    await expect(page.getByRole("alert").textContent()).resolves.toContain("function key was not accepted");
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.length)).toBe(0);
    await shot(page, "sign-in-wrong-key.png");
  });

  it("signs in with the key (kept in sessionStorage, never in the URL or a cookie) and lists webhooks with health", async () => {
    await signIn(page, runtime.info.adminKey);
    const failingRow = page.getByRole("row").filter({ hasText: failing.receiver.url });
    await failingRow.waitFor();
    await expect(failingRow.textContent()).resolves.toMatch(/0\.0%.*3\/3 failed.*3.*HTTP 500/);
    const healthyRow = page.getByRole("row").filter({ hasText: healthy.receiver.url });
    await expect(healthyRow.textContent()).resolves.toMatch(/active.*100\.0%/);
    // Sorted by failures: the failing webhook comes first.
    await expect(page.getByRole("row").nth(1).textContent()).resolves.toContain(failing.receiver.url);
    expect(page.url()).not.toContain(runtime.info.adminKey);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.cookie)).toBe("");
    expect(
      await page.evaluate(() => {
        const storage = (globalThis as unknown as PageGlobals).sessionStorage;
        return Array.from({ length: storage.length }, (_, i) => storage.getItem(storage.key(i) ?? ""));
      }),
    ).toEqual([runtime.info.adminKey]);
    await shot(page, "webhooks.png");
  });

  it("shows markup that a webhook's attributes carry as text and never runs it", async () => {
    await expect(page.getByText(HOSTILE, { exact: false }).first().isVisible()).resolves.toBe(true);
    expect(await pwned(page)).toBeUndefined();
    expect(page.dialogs).toEqual([]);
    expect(await page.locator("img[src=x]").count()).toBe(0);
  });

  it("filters webhooks by state and text", async () => {
    await page.getByLabel("Search").fill("registry-mirror");
    await expect(page.getByRole("row").count()).resolves.toBe(2);
    await page.getByLabel("Search").fill("");
    await page.getByLabel("State").selectOption("disabled");
    await expect(page.getByRole("status").textContent()).resolves.toMatch(/^0 of 3 webhooks/);
    await page.getByLabel("State").selectOption("all");
  });

  it("rotates a secret (shown once), sends a ping and watches it arrive in the log, signed with the new secret", async () => {
    await page.getByRole("link", { name: healthy.receiver.url }).click();
    await page.getByRole("heading", { name: healthy.receiver.url }).waitFor();
    await page.getByRole("button", { name: "Rotate secret" }).click();
    const secret = await page.getByLabel("Secret", { exact: true }).inputValue();
    expect(secret).toMatch(/^whsec_/);
    await expect(page.getByRole("button", { name: "Copy" }).isVisible()).resolves.toBe(true);
    await shot(page, "webhook-detail.png");

    await page.getByRole("button", { name: "Send ping" }).click();
    await page.getByText(/Ping msg_\S+ is in the log\./).waitFor();
    await waitFor(() => healthy.receiver.delivered() === 2, { what: "the console's ping at the receiver" });
    const ping = healthy.receiver.requests.at(-1)!;
    expect(verifies(ping, secret)).toBe(true);
    expect(await page.locator("tr.highlight").count()).toBe(1);

    await page.getByRole("button", { name: "Done, hide it" }).click();
    await expect(page.getByLabel("Secret", { exact: true }).count()).resolves.toBe(0);
    await page.reload();
    await page.getByRole("heading", { name: healthy.receiver.url }).waitFor();
    expect(await page.content()).not.toContain(secret);
  });

  it("masks header values until revealed, and a save keeps the values it did not show", async () => {
    await page.goto(`${consoleUrl}#/webhooks/${healthy.webhook.id}`);
    await page.getByRole("heading", { name: healthy.receiver.url }).waitFor();
    expect(await page.getByLabel("Value").nth(1).inputValue()).toBe("***");
    expect(await page.content()).not.toContain(TOKEN);
    // Save with the header still masked: the console reads the real value back for the full replace.
    await page.getByLabel("Value").first().fill("billing-service-v2");
    await page.getByRole("button", { name: "Save settings" }).click();
    await waitFor(
      async () =>
        (
          await agent.admin.http.get<{ attributes: Record<string, string> }>(
            `/webhooks/${healthy.webhook.id}`,
          )
        ).data.attributes.name === "billing-service-v2",
      {
        what: "the saved attribute",
      },
    );
    const stored = await agent.admin.http.get<{ headers: Record<string, string> }>(
      `/webhooks/${healthy.webhook.id}?reveal=headers`,
    );
    expect(stored.data.headers).toEqual({ authorization: TOKEN });
    await page.getByRole("button", { name: "Reveal header values" }).click();
    await waitFor(async () => (await page.getByLabel("Value").nth(1).inputValue()) === TOKEN, {
      what: "the revealed header value",
    });
  });

  it("shows the delivery log with filters and an attempt's detail", async () => {
    await page.goto(`${consoleUrl}#/log/${failing.webhook.id}`);
    await page.getByRole("cell", { name: "HTTP 500", exact: true }).first().waitFor();
    await expect(page.getByRole("cell", { name: "HTTP 500", exact: true }).count()).resolves.toBe(3);
    await page.getByRole("button", { name: /^Detail of attempt 1 of / }).click();
    await expect(page.locator("dl.detail").textContent()).resolves.toContain("retryable");
    // The receiver's answer, script and all, is shown as text and not run.
    await expect(page.locator("dl.detail pre.answer").textContent()).resolves.toBe(HOSTILE_ANSWER);
    expect(await pwned(page)).toBeUndefined();
    expect(page.dialogs).toEqual([]);
    await shot(page, "delivery-log.png");
    await page.getByLabel("Status").selectOption("2xx");
    await page.getByText("No attempts.").waitFor();
    await page.getByLabel("Status").selectOption("5xx");
    await page.getByLabel("Delivery id").fill(deadDeliveryId);
    await expect(page.getByRole("cell", { name: "HTTP 500", exact: true }).count()).resolves.toBe(3);
  });

  it("replays a dead letter, and the receiver gets it", async () => {
    await page.goto(`${consoleUrl}#/dead-letters`);
    await page.getByRole("button", { name: `Replay ${deadDeliveryId}` }).waitFor();
    await shot(page, "dead-letters.png");
    failing.receiver.respond(always(200));
    await page.getByRole("button", { name: `Replay ${deadDeliveryId}` }).click();
    await page.getByText("1 of 1 replayed.").waitFor();
    await waitFor(() => failing.receiver.delivered() === 1, {
      what: "the replayed delivery at the receiver",
    });
    expect(failing.receiver.requests.at(-1)?.webhookId).toBe(deadDeliveryId);
    // The list reloads after the status line is written (the API removed the row before it answered): wait for it.
    await page.getByRole("button", { name: `Replay ${deadDeliveryId}` }).waitFor({ state: "detached" });
  });

  it("recovers a webhook's dead letters since a time, following it in the status region until done", async () => {
    const since = new Date(Date.now() - 60_000).toISOString().slice(0, 16); // a datetime-local value, UTC
    const fixed = await agent.subscribe(
      await agent.receiver("recovered", (attempt) => ({ status: attempt === 1 ? 400 : 200 })),
      { subscriptions: ["ping"], attributes: { name: "recovered" } },
    );
    await agent.admin.ping(fixed.webhook.id);
    await agent.admin.ping(fixed.webhook.id);
    const letters = await waitForValue(
      async () => {
        const items = await agent.admin.deadLetters(fixed.webhook.id);
        return items.length === 2 ? items : undefined;
      },
      { what: "two dead letters of the 400 receiver" },
    );
    await page.goto(`${consoleUrl}#/dead-letters`);
    await page.reload(); // the webhook list is read when the screen loads; this webhook is new
    await page.getByText("Choose a webhook to recover its dead letters since a time.").waitFor();
    await page.locator("#dl-webhook").selectOption(fixed.webhook.id);
    await page.getByLabel("Recover since (UTC)").fill(since);
    await page.getByRole("button", { name: "Recover", exact: true }).click();
    await page
      .getByRole("status")
      .filter({ hasText: "Recovery completed: 2 of 2 dead letters handed over." })
      .waitFor();
    await waitFor(() => fixed.receiver.delivered() === 2, { what: "the two recovered deliveries" });
    const delivered = fixed.receiver.requests.filter((r) => r.status === 200).map((r) => r.webhookId);
    expect(delivered.sort()).toEqual(letters.map((l) => l.deliveryId).sort());
    await page.getByText("No dead letters.").waitFor();
  });

  it("lists rejected events with reasons and shows a raw body only on request, as text", async () => {
    await page.goto(`${consoleUrl}#/rejected`);
    const row = page.getByRole("row").filter({ hasText: "/name" });
    await row.first().waitFor();
    expect(await page.content()).not.toContain("__pwned");
    await row
      .first()
      .getByRole("button", { name: /Show the raw body/ })
      .click();
    await page.locator("pre").filter({ hasText: "__pwned" }).waitFor();
    expect(await pwned(page)).toBeUndefined();
    expect(page.dialogs).toEqual([]);
    await shot(page, "rejected-events.png");
  });

  /** The ordered webhook's receiver: the subject's first delivery always fails (500), every later one succeeds. */
  let ordered: Subscriber;
  let subjectId: string;
  let head: string;
  const sequences = () => ordered.receiver.requests.map((r) => [r.headers["webhook-sequence"], r.status]);
  const blocked = (what: string) =>
    waitForValue(
      async () => {
        const items = await agent.admin.subjects(ordered.webhook.id, "blocked");
        const letters = await agent.admin.deadLetters(ordered.webhook.id);
        return items.length > 0 && letters.some((l) => l.deliveryId === head) ? items : undefined;
      },
      { what, detail: () => JSON.stringify(sequences()) },
    );

  it("lists a blocked subject on Held subjects (the head as the API holds it, never the subject), by state, at 390 px", async () => {
    // Under "block", the subject's first delivery failing until its retries run out holds the subject.
    const receiver = await agent.receiver("ordered", (_attempt, request) =>
      request.headers["webhook-sequence"] === "1" ? { status: 500, body: HOSTILE_ANSWER } : { status: 200 },
    );
    ordered = await agent.subscribe(receiver, {
      subscriptions: ["service:subscribed"],
      attributes: { serviceId: "heldService" },
      ordering: "per-subject",
      orderingOnFailure: "block",
    });
    const event = {
      name: "service:subscribed",
      payload: { serviceId: "heldService", fiscalCode: FISCAL_CODE },
    };
    await agent.producer.publish([event, event], "held-subjects");
    await waitFor(() => receiver.requests.length > 0, { what: "the subject's first delivery" });
    head = receiver.requests[0]!.webhookId;
    const [held] = await blocked("the subject blocked");
    subjectId = held!.subjectId;

    await page.goto(`${consoleUrl}#/webhooks/${ordered.webhook.id}`);
    // The webhook's health counts its held subjects.
    await page.getByRole("link", { name: "0 waiting, 1 blocked" }).waitFor();
    await page.getByRole("link", { name: "Held subjects" }).click();
    const row = page.getByRole("row").filter({ hasText: subjectId });
    await row.waitFor();
    expect(page.url()).toContain(`#/webhooks/${ordered.webhook.id}/subjects`);
    const cell = (label: string) => row.locator(`td[data-label="${label}"]`).textContent();
    await expect(cell("State")).resolves.toBe("blocked");
    await expect(cell("Head delivery id")).resolves.toBe(head);
    await expect(cell("Sequence")).resolves.toBe("1");
    await expect(cell("Attempts")).resolves.toBe("3");
    await expect(cell("Last answer")).resolves.toContain("HTTP 500");
    await expect(cell("Next attempt")).resolves.toBe("none: blocked");
    expect(await page.content()).not.toContain(FISCAL_CODE);
    await page.getByLabel("State").selectOption("waiting");
    await page.getByText("No held subjects.").waitFor();
    await page.getByLabel("State").selectOption("blocked");
    await row.waitFor();
    await shot(page, "held-subjects.png");

    // On a phone: one card per subject, nothing wider than the screen.
    const phone = await browser.page({ width: 390, height: 844 });
    await signIn(phone, runtime.info.adminKey);
    await phone.getByRole("heading", { name: "Webhooks" }).waitFor();
    await phone.goto(`${consoleUrl}#/webhooks/${ordered.webhook.id}/subjects`);
    await phone.getByRole("button", { name: `Skip ${subjectId}` }).waitFor();
    expect(
      await phone.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth),
    ).toBeLessThanOrEqual(390);
    await shot(phone, "held-subjects-phone.png");
    expect(phone.errors).toEqual([]);
    await phone.close();
    // Nothing past the held head was sent.
    expect(sequences()).toEqual([
      ["1", 500],
      ["1", 500],
      ["1", 500],
    ]);
  });

  it("Retry now re-sends the blocked head; once its dead letter is gone, it shows the API's problem", async () => {
    await page.getByRole("button", { name: `Retry now ${subjectId}` }).click();
    await page
      .getByRole("status")
      .filter({ hasText: `Retry now of subject ${subjectId} (delivery ${head}) accepted (HTTP 202).` })
      .waitFor();
    await waitFor(() => ordered.receiver.requests.length === 6, { what: "the head's three new attempts" });
    expect(ordered.receiver.requests.map((r) => r.webhookId)).toEqual(Array(6).fill(head));
    await blocked("the subject blocked again");

    await agent.admin.http.delete(`/dead-letters/${encodeURIComponent(head)}`);
    await page.getByRole("button", { name: `Retry now ${subjectId}` }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toBe(
      "Conflict — The blocked delivery's dead letter is gone (replayed or deleted); skip it instead",
    );
    await expect(page.getByRole("status").textContent()).resolves.toBe("");
    expect(sequences()).toHaveLength(6);
  });

  it("Skip asks first (in the page, by keyboard), then the subject's next delivery arrives and it leaves the list", async () => {
    await page.getByRole("button", { name: `Skip ${subjectId}` }).focus();
    await page.keyboard.press("Enter");
    // The confirm step took the focus: Enter again confirms.
    await page.getByRole("button", { name: `Confirm skip ${subjectId}` }).waitFor();
    expect(sequences()).toHaveLength(6);
    await page.keyboard.press("Enter");
    await page
      .getByRole("status")
      .filter({ hasText: `Skip of subject ${subjectId} (delivery ${head}) done (HTTP 200).` })
      .waitFor();
    await page.getByText("No held subjects.").waitFor();
    await waitFor(() => ordered.receiver.requests.length === 7, { what: "the subject's next delivery" });
    const next = ordered.receiver.requests[6]!;
    expect([next.headers["webhook-sequence"], next.status]).toEqual(["2", 200]);
    expect(next.headers["webhook-previous-id"]).toBe(head);
    expect(await agent.admin.subjects(ordered.webhook.id)).toEqual([]);
    expect(await pwned(page)).toBeUndefined();
    expect(page.dialogs).toEqual([]);
  });

  /** `n` pings for the webhooks named `name`, delivered live to a witness first (then every batch was planned). */
  const publishedBefore = async (name: string, n: number) => {
    const witness = await agent.subscribe(await agent.receiver(`${name}-live`), {
      subscriptions: ["ping"],
      attributes: { name },
    });
    await agent.producer.publish(
      Array.from({ length: n }, () => ({ name: "ping", payload: { name } })),
      name,
    );
    await waitFor(() => witness.receiver.delivered() === n, { what: `the ${n} pings delivered live` });
    // Registered after every event was planned: only a replay can bring it these events.
    return agent.subscribe(await agent.receiver(`${name}-late`), {
      subscriptions: ["ping"],
      attributes: { name },
    });
  };
  /** A datetime-local value with seconds, UTC (the console reads every time as UTC). */
  const local = (at: Date) => at.toISOString().slice(0, 19);
  const replayRow = (p: Page, replayId: string) => p.getByRole("row").filter({ hasText: replayId });
  const replayCell = (p: Page, replayId: string, label: string) =>
    replayRow(p, replayId).locator(`td[data-label="${label}"]`).textContent();
  /** Waits for the replay's row to show `state` (the screen reads the list again on its own while one runs). */
  const replayState = (p: Page, replayId: string, state: string, timeout = 30_000) =>
    replayRow(p, replayId)
      .locator('td[data-label="State"]')
      .filter({ hasText: new RegExp(`^${state}$`) })
      .waitFor({ timeout });
  const startedId = async (p: Page) =>
    (await p
      .getByRole("status")
      .filter({ hasText: /^Replay rp_\S+ started:/ })
      .textContent())!.split(" ")[1]!;

  it("replays published pings to a webhook registered after them: the table follows it to completed, the receiver gets each once", async () => {
    const name = `console-replay-${randomUUID().slice(0, 8)}`;
    const from = new Date(Date.now() - 2000);
    const late = await publishedBefore(name, 5);
    expect(late.receiver.requests).toHaveLength(0);
    const hub = (await readWholeHub(agent.target.eventHubConnection, agent.target.eventHubName)).filter(
      (e) => (e.body as { payload?: { name?: string } }).payload?.name === name,
    );
    expect(hub).toHaveLength(5);
    // The ids the live path would have given these events for this webhook.
    const expected = hub.map((e) =>
      deliveryId(e.messageId ?? `${e.partitionId}:${e.sequenceNumber}`, late.webhook.id, 0),
    );

    await page.goto(`${consoleUrl}#/webhooks/${late.webhook.id}`);
    await page.getByRole("link", { name: "Replays", exact: true }).click();
    await page.getByRole("heading", { name: "Replays" }).waitFor();
    expect(page.url()).toContain(`#/webhooks/${late.webhook.id}/replays`);
    await expect(
      page.getByRole("link", { name: "Webhooks", exact: true }).getAttribute("aria-current"),
    ).resolves.toBe("page");
    await page.getByText("No replays yet.").waitFor();
    // The events to choose from are the webhook's subscriptions, all chosen; the rate shows its default.
    await expect(page.getByRole("group", { name: "Events" }).getByRole("checkbox").count()).resolves.toBe(1);
    await expect(page.getByLabel("ping", { exact: true }).isChecked()).resolves.toBe(true);
    await expect(page.getByLabel("Rate (events/s)").inputValue()).resolves.toBe("200");

    // From after To: the API's field error, as text, and nothing started.
    await page.getByLabel("From (UTC)").fill(local(new Date(Date.now() - 60_000)));
    await page.getByLabel("To (UTC, empty: now)").fill(local(new Date(Date.now() - 120_000)));
    await page.getByRole("button", { name: "Start replay" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "/from" }).textContent()).resolves.toBe(
      "The request is not valid — The replay request is not valid — /from: must be before to",
    );
    // From past the hub's retention: the API's message names the oldest time available.
    await page.getByLabel("To (UTC, empty: now)").fill("");
    await page.getByLabel("From (UTC)").fill("2000-01-01T00:00:00");
    await page.getByRole("button", { name: "Start replay" }).click();
    await page
      .getByRole("alert")
      .filter({
        hasText:
          /^The request is not valid — .* — \/from: is older than the hub's retention: the oldest time available is \d{4}-\d\d-\d\dT/,
      })
      .waitFor();
    await expect(page.getByText("No replays yet.").isVisible()).resolves.toBe(true);

    await page.getByLabel("From (UTC)").fill(local(from));
    await page.getByRole("button", { name: "Start replay" }).click();
    const replayId = await startedId(page);
    await expect(page.getByRole("alert").count()).resolves.toBe(0);
    // Followed by the screen's own refresh (no click): completed, every planned delivery delivered.
    await replayState(page, replayId, "completed");
    await expect(replayCell(page, replayId, "Delivered")).resolves.toBe("5 of 5");
    await expect(replayCell(page, replayId, "Events")).resolves.toBe("ping");
    await expect(replayCell(page, replayId, "Rate")).resolves.toBe("200/s");
    await expect(replayCell(page, replayId, "Dead-lettered")).resolves.toBe("0");
    await expect(replayCell(page, replayId, "Error")).resolves.toBe("—");
    await expect(replayCell(page, replayId, "Partitions at to")).resolves.toMatch(/^(\d+) of \1$/);
    await expect(replayCell(page, replayId, "Finished")).resolves.toMatch(/UTC$/);
    await expect(replayRow(page, replayId).getByRole("button").count()).resolves.toBe(0);
    await page.getByText("A replay is running").waitFor({ state: "detached" });
    const record = await agent.admin.getReplay(late.webhook.id, replayId);
    expect(record).toMatchObject({ state: "completed", deliveries: { planned: 5, delivered: 5 } });

    // Exactly the published events, each once, signed, with the live path's ids.
    await waitFor(() => late.receiver.requests.length === 5, { what: "the 5 replayed deliveries" });
    const ids = late.receiver.requests.map((r) => r.webhookId);
    expect(new Set(ids).size).toBe(5);
    expect([...ids].sort()).toEqual([...expected].sort());
    expect(late.receiver.requests.every((r) => r.signatureValid && r.status === 200)).toBe(true);
    await shot(page, "replays.png");

    // On a phone: one card per replay, nothing wider than the screen.
    const phone = await browser.page({ width: 390, height: 844 });
    await signIn(phone, runtime.info.adminKey);
    await phone.getByRole("heading", { name: "Webhooks" }).waitFor();
    await phone.goto(`${consoleUrl}#/webhooks/${late.webhook.id}/replays`);
    await replayRow(phone, replayId).waitFor();
    expect(
      await phone.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth),
    ).toBeLessThanOrEqual(390);
    await replayRow(phone, replayId).scrollIntoViewIfNeeded();
    await shot(phone, "replays-phone.png");
    expect(phone.errors).toEqual([]);
    await phone.close();
    expect(late.receiver.requests).toHaveLength(5);
  });

  it("cancels a running replay after asking (in the page, by keyboard), and says so in the status region", async () => {
    const name = `console-cancel-${randomUUID().slice(0, 8)}`;
    const from = new Date(Date.now() - 2000);
    const late = await publishedBefore(name, 40);
    await page.goto(`${consoleUrl}#/webhooks/${late.webhook.id}/replays`);
    await page.getByText("No replays yet.").waitFor();
    await page.getByLabel("From (UTC)").fill(local(from));
    // One event a second: 40 events take 40 s, far longer than the cancel below.
    await page.getByLabel("Rate (events/s)").fill("1");
    await page.getByRole("button", { name: "Start replay" }).click();
    const replayId = await startedId(page);
    await expect(replayCell(page, replayId, "State")).resolves.toBe("running");
    await expect(replayCell(page, replayId, "Rate")).resolves.toBe("1/s");
    await page.getByText("A replay is running: the list is read again every second.").waitFor();

    // Asked in the page: Keep running steps back and the replay runs on.
    await page.getByRole("button", { name: `Cancel ${replayId}`, exact: true }).click();
    await page.getByRole("button", { name: `Keep running ${replayId}` }).click();
    await page.getByRole("button", { name: `Confirm cancel ${replayId}` }).waitFor({ state: "detached" });
    expect(page.dialogs).toEqual([]);
    await page.getByRole("button", { name: `Cancel ${replayId}`, exact: true }).focus();
    await page.keyboard.press("Enter");
    // The confirm step took the focus; the replay still runs until it is confirmed.
    await page.getByRole("button", { name: `Confirm cancel ${replayId}` }).waitFor();
    expect(
      await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.textContent),
    ).toBe("Confirm cancel");
    expect((await agent.admin.getReplay(late.webhook.id, replayId)).state).toBe("running");
    await page.keyboard.press("Enter");
    const status = page.getByRole("status").filter({ hasText: `Replay ${replayId} cancelled:` });
    await status.waitFor();
    await expect(status.textContent()).resolves.toMatch(
      /^Replay rp_\S+ cancelled: \d+ of \d+ delivered; the deliveries it already handed over still arrive\.$/,
    );
    await expect(replayCell(page, replayId, "State")).resolves.toBe("cancelled");
    await expect(replayCell(page, replayId, "Finished")).resolves.toMatch(/UTC$/);
    await expect(replayRow(page, replayId).getByRole("button").count()).resolves.toBe(0);
    await page.getByText("A replay is running").waitFor({ state: "detached" });
    const record = await agent.admin.getReplay(late.webhook.id, replayId);
    expect(record.state).toBe("cancelled");
    expect(record.deliveries.delivered).toBeLessThan(40);
    expect(late.receiver.requests.length).toBeLessThan(40);
    expect(page.errors).toEqual([]);
  });

  it("works on a 390-px phone screen with the keyboard alone, and Sign out forgets the key", async () => {
    const phone = await browser.page({ width: 390, height: 844 });
    await phone.goto(consoleUrl);
    await phone.keyboard.press("Tab");
    expect(
      await phone.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id),
    ).toBe("function-key");
    await phone.keyboard.type(runtime.info.adminKey);
    await phone.keyboard.press("Enter");
    await phone.getByRole("link", { name: failing.receiver.url }).waitFor();
    expect(
      await phone.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth),
    ).toBeLessThanOrEqual(390);
    await shot(phone, "webhooks-phone.png");
    await phone.getByRole("button", { name: "Sign out" }).click();
    await phone.getByLabel("Function key").waitFor();
    expect(await phone.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.length)).toBe(0);
    expect(phone.errors).toEqual([]);
    await phone.close();
    expect(page.errors).toEqual([]);
  });
});
