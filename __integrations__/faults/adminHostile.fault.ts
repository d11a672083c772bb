import { type WebhookInput } from "../agent/adminClient";
import { startReceiver, type WebhookReceiver } from "../agent/receiver";
import { holdsFor, waitForValue } from "../agent/waitFor";
import { errorPaths, postChunked, sendRaw, webhookSnapshot } from "./support/adminRequests";
import { publishMany } from "./support/bulkPublish";
import { type FaultStack, startFaultStack } from "./support/faultStack";

// Hostile admin input against a runtime with ALLOW_PRIVATE_NETWORK_TARGETS=false, ALLOW_INSECURE_WEBHOOKS=true:
// every refusal is a problem+json naming what is wrong and stores nothing. No request here leaves loopback: the
// only webhooks ever delivered to point at `localhost`, and the delivery is refused before connecting.

const JSON_TYPE = { "content-type": "application/json" };
/** An otherwise valid body; `https://receiver.example` is never delivered to (nothing routes to it). */
const VALID: WebhookInput = {
  url: "https://receiver.example/hook",
  subscriptions: ["ping"],
  attributes: { name: "never-delivered" },
};
const validBody = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ ...VALID, ...extra });

describe("the admin API under hostile input (private targets disallowed)", () => {
  let stack: FaultStack | undefined;
  const admin = () => stack!.admin;

  beforeAll(async () => {
    stack = await startFaultStack({
      env: {
        ALLOW_PRIVATE_NETWORK_TARGETS: "false",
        ALLOW_INSECURE_WEBHOOKS: "true",
        RETRY_SCHEDULE: "0,200ms,200ms",
      },
    });
  }, 60_000);
  afterAll(() => stack?.close());

  /** Sends, then checks the answer is a problem+json with `status` and the webhooks are as before. */
  const refused = async (
    send: () => Promise<{ status: number; contentType: string; body?: unknown }>,
    status: number,
  ): Promise<unknown> => {
    const before = await webhookSnapshot(admin());
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.contentType).toMatch(/^application\/problem\+json/);
    expect(await webhookSnapshot(admin())).toEqual(before);
    return response.body;
  };

  it.each([
    "http://127.0.0.1:8080/hook",
    "http://10.0.0.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://2130706433/hook",
    "http://0x7f000001/hook",
    "http://0177.0.0.1/hook",
    "http://127.1/hook",
    "http://0.0.0.0/hook",
    "http://[fd00:ec2::254]/hook",
  ])("refuses a webhook at %s with 400 naming /url", async (url) => {
    const body = await refused(
      () => sendRaw(admin(), "POST", "/webhooks", JSON.stringify(validBody({ url })), JSON_TYPE),
      400,
    );
    expect(errorPaths(body)).toEqual(["/url"]);
    expect(JSON.stringify(body)).not.toContain(url);
  });

  /** A request that must be refused with `status`. */
  interface BadRequest {
    readonly what: string;
    readonly status: number;
    readonly send: () => Promise<{ status: number; contentType: string; body?: unknown }>;
  }
  const post =
    (text: string, headers: Readonly<Record<string, string>> = JSON_TYPE) =>
    () =>
      sendRaw(admin(), "POST", "/webhooks", text, headers);
  const badRequests: ReadonlyArray<BadRequest> = [
    { what: "a body over 64 KB", status: 413, send: post(`"${"a".repeat(70_000)}"`) },
    {
      what: "a chunked body over 64 KB (no Content-Length)",
      status: 413,
      send: () =>
        postChunked(`${stack!.runtime.info.adminUrl}/webhooks`, stack!.runtime.info.adminKey, 70_000),
    },
    { what: "truncated JSON", status: 400, send: post('{"url": "https://x.example/') },
    { what: "JSON with a bare key", status: 400, send: post("{url: 1}") },
    { what: "an empty body", status: 400, send: post("") },
    { what: "a JSON array", status: 400, send: post("[1,2]") },
    ...[
      "text/plain",
      "application/x-www-form-urlencoded",
      "application/xml",
      "multipart/form-data; boundary=x",
    ].map((type): BadRequest => ({
      what: `content type ${type}`,
      status: 415,
      send: post(JSON.stringify(VALID), { "content-type": type }),
    })),
  ];
  it.each(badRequests)("refuses $what with $status and stores nothing", async ({ send, status }) => {
    await refused(send, status);
  });

  it.each([
    ["an unknown field", '"colour": "red"', "/colour"],
    ["a __proto__ field", '"__proto__": {"disabled": true}', "/__proto__"],
    ["a constructor field", '"constructor": {"prototype": {}}', "/constructor"],
  ])("refuses %s with 400 naming it", async (_what, extra, path) => {
    const text = JSON.stringify(validBody()).replace(/}$/, `, ${extra}}`);
    const body = await refused(() => sendRaw(admin(), "POST", "/webhooks", text, JSON_TYPE), 400);
    expect(errorPaths(body)).toContain(path);
  });

  it("refuses more than 20 custom headers with 400 naming /headers, and takes 20", async () => {
    const headers = (n: number) => Object.fromEntries(Array.from({ length: n }, (_v, i) => [`x-h${i}`, "v"]));
    const body = await refused(
      () =>
        sendRaw(admin(), "POST", "/webhooks", JSON.stringify(validBody({ headers: headers(21) })), JSON_TYPE),
      400,
    );
    expect(errorPaths(body)).toContain("/headers");
    const created = await admin().register({ ...VALID, headers: headers(20) });
    await admin().remove(created.id);
  });

  it("refuses a PUT with a wrong or stale If-Match with 412 and changes nothing", async () => {
    const created = await admin().register(VALID);
    try {
      const read = await admin().http.get(`/webhooks/${created.id}`);
      const etag = String(read.headers.etag);
      const change = (name: string) => JSON.stringify(validBody({ attributes: { name } }));
      const put = (name: string, ifMatch: string) =>
        sendRaw(admin(), "PUT", `/webhooks/${created.id}`, change(name), {
          ...JSON_TYPE,
          "if-match": ifMatch,
        });

      await refused(() => put("changed", '"nope"'), 412);
      await refused(() => put("changed", "nope"), 412);
      const updated = await put("updated", etag);
      expect(updated.status).toBe(200);
      // The ETag read before the update is stale now.
      await refused(() => put("changed-again", etag), 412);
      expect((await admin().http.get(`/webhooks/${created.id}`)).data).toMatchObject({
        attributes: { name: "updated" },
      });
    } finally {
      await admin().remove(created.id);
    }
  });

  describe("a webhook at http://localhost (a name resolving to loopback)", () => {
    let receiver: WebhookReceiver | undefined;
    afterAll(() => receiver?.close());

    it("is accepted, then each delivery is refused as blocked-target and dead-lettered", async () => {
      receiver = await startReceiver({ name: "local", bindHost: "127.0.0.1", advertisedHost: "localhost" });
      const webhook = await admin().register({
        url: receiver.url,
        subscriptions: ["ping"],
        attributes: { name: "local" },
      });
      expect(new URL(receiver.url).hostname).toBe("localhost");
      // One delivery through the Event Hub and routing, one through the on-demand ping.
      await publishMany(stack!.runtime.info, [{ name: "ping", payload: { name: "local" } }]);
      await admin().ping(webhook.id);

      const letters = await waitForValue(
        async () => {
          const items = await admin().http.get<{ items: Array<Record<string, unknown>> }>("/dead-letters", {
            params: { webhookId: webhook.id },
          });
          return items.data.items.length === 2 ? items.data.items : undefined;
        },
        { what: "two dead letters for the localhost webhook" },
      );
      // The reason names the policy, the address the name resolved to and the name itself.
      const why = /^blocked-target: loopback: (127\.0\.0\.1|::1) for localhost$/;
      for (const letter of letters)
        expect(letter).toMatchObject({ attempts: 1, lastError: expect.stringMatching(why) as unknown });
      const log = await admin().deliveries(webhook.id);
      expect(log.map((a) => a.outcome)).toEqual(["permanent", "permanent"]);
      for (const attempt of log) expect((attempt as { error?: string }).error).toMatch(why);
      // Refused before connecting: the receiver on localhost never sees a request, and the webhook stays enabled.
      await holdsFor(
        () => receiver!.requests.length === 0,
        300,
        "no request reaching the localhost receiver",
      );
      expect(await admin().get(webhook.id)).toMatchObject({ disabled: false });
    });
  });
});
