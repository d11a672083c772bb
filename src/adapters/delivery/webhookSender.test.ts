import type { ServerResponse } from "node:http";

import { Webhook } from "standardwebhooks";

import type { TestServer } from "./testServers";
import { closedPort, startServer, waitFor } from "./testServers";
import type { WebhookRequest, WebhookSender, WebhookSenderOptions } from "./webhookSender";
import { makeWebhookSender } from "./webhookSender";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const PREVIOUS_SECRET = "whsec_" + Buffer.from("previous-secret-previous-secret!").toString("base64");

const body = JSON.stringify({ name: "ping", payload: { name: "hello" } });

const requestTo = (url: string, overrides: Partial<WebhookRequest> = {}): WebhookRequest => ({
  deliveryId: "dlv_01",
  url,
  body,
  headers: {},
  secrets: [SECRET],
  ...overrides,
});

let servers: TestServer[] = [];
let senders: WebhookSender[] = [];

const server = async (handler: Parameters<typeof startServer>[0]): Promise<TestServer> => {
  const started = await startServer(handler);
  servers.push(started);
  return started;
};

const sender = (options: Partial<WebhookSenderOptions> = {}): WebhookSender => {
  const created = makeWebhookSender({
    connectTimeoutMs: 1_000,
    timeoutMs: 2_000,
    allowPrivateTargets: true,
    userAgent: "public-event-dispatcher/test",
    ...options,
  });
  senders.push(created);
  return created;
};

afterEach(async () => {
  await Promise.all(senders.map((s) => s.close()));
  await Promise.all(servers.map((s) => s.close()));
  senders = [];
  servers = [];
});

const answer =
  (status: number, headers: Record<string, string> = {}) =>
  (_req: unknown, res: ServerResponse): void => {
    res.writeHead(status, headers).end(status === 204 ? undefined : "ok");
  };

describe("makeWebhookSender: status classes against a real server", () => {
  it.each([
    [200, { kind: "delivered", status: 200 }],
    [204, { kind: "delivered", status: 204 }],
    [400, { kind: "permanent", status: 400, gone: false }],
    [404, { kind: "permanent", status: 404, gone: false }],
    [408, { kind: "retryable", status: 408 }],
    [410, { kind: "permanent", status: 410, gone: true }],
    [500, { kind: "retryable", status: 500 }],
    [503, { kind: "retryable", status: 503 }],
  ])("classifies %i", async (status, outcome) => {
    const receiver = await server(answer(status));
    const result = await sender().send(requestTo(`${receiver.url}/hook`));
    expect(result.outcome).toEqual(outcome);
    expect(result.latencyMs).toBeGreaterThan(0);
  });

  it("does not follow a redirect: 301 is permanent and the Location is never requested", async () => {
    const receiver = await server((req, res) =>
      req.url === "/hook" ? res.writeHead(301, { location: "/elsewhere" }).end() : res.writeHead(200).end(),
    );
    const result = await sender().send(requestTo(`${receiver.url}/hook`));
    expect(result.outcome).toEqual({ kind: "permanent", status: 301, gone: false });
    expect(receiver.requests.map((r) => r.url)).toEqual(["/hook"]);
  });

  it("keeps the start of a failing receiver's answer (256 bytes) for the log, and nothing of a 2xx answer", async () => {
    const failing = await server((_req, res) => res.writeHead(503).end(`<h1>down</h1>${"x".repeat(1000)}`));
    const result = await sender().send(requestTo(failing.url));
    expect(result.answer).toBe(`<h1>down</h1>${"x".repeat(256 - 13)}`);
    const ok = await server(answer(200));
    expect((await sender().send(requestTo(ok.url))).answer).toBeUndefined();
  });

  it("reads Retry-After in seconds on 429", async () => {
    const receiver = await server(answer(429, { "retry-after": "17" }));
    const result = await sender().send(requestTo(receiver.url));
    expect(result.outcome).toEqual({ kind: "retryable", status: 429, retryAfterMs: 17_000 });
  });

  it("reads Retry-After as an HTTP-date relative to the injected clock", async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const later = new Date(now.getTime() + 90_000).toUTCString();
    const receiver = await server(answer(429, { "retry-after": later }));
    const result = await sender({ clock: { now: () => now } }).send(requestTo(receiver.url));
    expect(result.outcome).toEqual({ kind: "retryable", status: 429, retryAfterMs: 90_000 });
  });
});

describe("makeWebhookSender: the request a receiver gets", () => {
  it("posts the body unchanged with Standard Webhooks headers in order, then the webhook's own headers", async () => {
    const receiver = await server(answer(204));
    const now = new Date();
    await sender({ clock: { now: () => now } }).send(
      requestTo(`${receiver.url}/hooks/io?tenant=1`, {
        headers: { "x-api-key": "k1", "Webhook-Id": "forged", Host: "evil.example" },
      }),
    );
    const [received] = receiver.requests;
    expect(received?.method).toBe("POST");
    expect(received?.url).toBe("/hooks/io?tenant=1");
    expect(received?.body).toBe(body);
    const names = received!.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    const ours = [
      "content-type",
      "user-agent",
      "webhook-id",
      "webhook-timestamp",
      "webhook-signature",
      "x-api-key",
    ];
    expect(names.filter((n) => ours.includes(n))).toEqual(ours);
    expect(received?.headers).toMatchObject({
      "content-type": "application/json",
      "user-agent": "public-event-dispatcher/test",
      "webhook-id": "dlv_01",
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "x-api-key": "k1",
      host: `127.0.0.1:${receiver.port}`,
    });
  });

  it("signs so that a receiver verifies with the standardwebhooks library", async () => {
    const receiver = await server(answer(204));
    await sender().send(requestTo(receiver.url));
    const received = receiver.requests[0]!;
    expect(new Webhook(SECRET).verify(received.body, received.headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(PREVIOUS_SECRET).verify(received.body, received.headers)).toThrow();
  });

  it("during a rotation signs with both secrets, each verifiable on its own, with the same id on every attempt", async () => {
    const receiver = await server(answer(503));
    const client = sender();
    const rotating = requestTo(receiver.url, { secrets: [SECRET, PREVIOUS_SECRET] });
    await client.send(rotating);
    await client.send(rotating);
    for (const received of receiver.requests) {
      expect(received.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
      expect(new Webhook(SECRET).verify(received.body, received.headers)).toEqual(JSON.parse(body));
      expect(new Webhook(PREVIOUS_SECRET).verify(received.body, received.headers)).toEqual(JSON.parse(body));
    }
    expect(receiver.requests.map((r) => r.headers["webhook-id"])).toEqual(["dlv_01", "dlv_01"]);
  });
});

describe("makeWebhookSender: failures", () => {
  it("times out a receiver that never answers", async () => {
    const receiver = await server(() => undefined);
    const result = await sender({ timeoutMs: 300 }).send(requestTo(receiver.url));
    expect(result.outcome).toEqual({ kind: "retryable", error: "timeout" });
    expect(result.latencyMs).toBeGreaterThanOrEqual(290);
    expect(result.latencyMs).toBeLessThan(2_000);
  });

  it("gives up at a request's own shorter deadline (the ingest's first attempts), never a longer one", async () => {
    const receiver = await server(() => undefined);
    const short = await sender({ timeoutMs: 5_000 }).send({ ...requestTo(receiver.url), timeoutMs: 300 });
    expect(short.outcome).toEqual({ kind: "retryable", error: "timeout" });
    expect(short.latencyMs).toBeGreaterThanOrEqual(290);
    expect(short.latencyMs).toBeLessThan(2_000);
    const capped = await sender({ timeoutMs: 300 }).send({ ...requestTo(receiver.url), timeoutMs: 60_000 });
    expect(capped.outcome).toEqual({ kind: "retryable", error: "timeout" });
    expect(capped.latencyMs).toBeLessThan(2_000);
  });

  it("times out a receiver that sends headers and then stalls the body, though the status was 200", async () => {
    const receiver = await server((_req, res) => {
      res.writeHead(200, { "content-length": "1000" });
      res.write("partial");
    });
    const result = await sender({ timeoutMs: 300 }).send(requestTo(receiver.url));
    expect(result.outcome).toEqual({ kind: "retryable", error: "timeout" });
  });

  it("bounds the whole attempt: a body trickling in faster than any idle timeout still times out", async () => {
    let trickle: NodeJS.Timeout | undefined;
    const receiver = await server((_req, res) => {
      res.writeHead(200, { "content-length": "100000" });
      trickle = setInterval(() => res.write("x"), 20);
      res.on("close", () => clearInterval(trickle));
    });
    const result = await sender({ timeoutMs: 300 }).send(requestTo(receiver.url));
    clearInterval(trickle);
    expect(result.outcome).toEqual({ kind: "retryable", error: "timeout" });
    expect(result.latencyMs).toBeLessThan(1_000);
  });

  it("reports a connection the receiver destroys as a reset", async () => {
    const receiver = await server((_req, res) => res.socket?.destroy());
    const result = await sender().send(requestTo(receiver.url));
    expect(result.outcome).toEqual({ kind: "retryable", error: "connection-reset" });
  });

  it("reports a closed port as refused", async () => {
    const port = await closedPort();
    const result = await sender().send(requestTo(`http://127.0.0.1:${port}/hook`));
    expect(result.outcome).toEqual({ kind: "retryable", error: "connection-refused" });
  });

  it("reports a failed TLS handshake as a TLS error", async () => {
    const receiver = await server(answer(200)); // speaks plain HTTP, so the handshake fails
    const result = await sender().send(requestTo(`https://127.0.0.1:${receiver.port}/hook`));
    expect(result.outcome).toEqual({ kind: "retryable", error: "tls" });
  });

  it("reads at most 64 KB of a 10 MB body, drops the connection and still classifies the status", async () => {
    let finished: boolean | undefined;
    let written = 0;
    const receiver = await server((_req, res) => {
      res.writeHead(200, { "content-length": String(10 * 1024 * 1024) });
      const chunk = Buffer.alloc(16 * 1024, 120);
      const pump = (): void => {
        while (written < 10 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        if (!res.destroyed) res.end();
      };
      res.on("close", () => (finished = res.writableFinished));
      pump();
    });
    const result = await sender().send(requestTo(receiver.url));
    expect(result.outcome).toEqual({ kind: "delivered", status: 200 });
    await waitFor(() => finished !== undefined);
    expect(finished).toBe(false); // the client hung up long before the 10 MB were through
    expect(written).toBeLessThan(10 * 1024 * 1024);
  });

  it("reuses keep-alive connections for sequential sends", async () => {
    const receiver = await server(answer(204));
    const client = sender();
    for (let i = 0; i < 50; i++) {
      expect((await client.send(requestTo(receiver.url))).outcome.kind).toBe("delivered");
    }
    expect(receiver.requests).toHaveLength(50);
    // undici marks a pool connection free again a tick after the response ends, so a send issued at once may
    // open a second connection; after that the two are reused.
    expect(receiver.connections()).toBeLessThanOrEqual(2);
  });

  it("keeps the socket count bounded by the concurrency, not the number of sends", async () => {
    const receiver = await server(answer(204));
    const client = sender();
    for (let round = 0; round < 100; round++) {
      const results = await Promise.all([1, 2, 3, 4].map(() => client.send(requestTo(receiver.url))));
      expect(results.every((r) => r.outcome.kind === "delivered")).toBe(true);
    }
    expect(receiver.requests).toHaveLength(400);
    // A connection finishing its response is briefly still busy when the next round starts, so undici may open
    // a few more than 4; what matters is that 400 sends do not mean anywhere near 400 sockets.
    expect(receiver.connections()).toBeLessThanOrEqual(12);
  });

  it("closes a receiver's pool once it has been idle for idlePoolMs, and opens a new one when needed", async () => {
    const receiver = await server(answer(204));
    const client = sender({ idlePoolMs: 100 });
    expect((await client.send(requestTo(receiver.url))).outcome.kind).toBe("delivered");
    expect(receiver.openConnections()).toBe(1);
    // Node's server keeps an idle connection for 5 s: closing within 2 s is the sender's doing.
    await waitFor(() => receiver.openConnections() === 0, 2_000);
    expect((await client.send(requestTo(receiver.url))).outcome.kind).toBe("delivered");
    expect(receiver.connections()).toBe(2);
  });

  it("never counts a pool with a request in flight as idle, however long the request takes", async () => {
    let calls = 0;
    const receiver = await server((_request, response) => {
      calls++;
      setTimeout(() => response.writeHead(200).end(), calls === 1 ? 1_200 : 0);
    });
    const client = sender({ idlePoolMs: 300 });
    expect((await client.send(requestTo(receiver.url))).outcome.kind).toBe("delivered");
    // undici frees the connection a tick after the response; well within idlePoolMs, send again.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect((await client.send(requestTo(receiver.url))).outcome.kind).toBe("delivered");
    // The same pool, so the same keep-alive connection: an eviction during the slow send would open a second.
    expect(receiver.connections()).toBe(1);
  });
});
