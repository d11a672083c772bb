import type * as net from "node:net";

import { BlockedTargetError, guardedLookup, makeConnector } from "./guardedConnector";
import type { TestServer } from "./testServers";
import { startServer } from "./testServers";
import type { WebhookSender } from "./webhookSender";
import { makeWebhookSender } from "./webhookSender";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

let receiver: TestServer;
let senders: WebhookSender[] = [];

beforeEach(async () => {
  receiver = await startServer((_req, res) => res.writeHead(204).end());
});

afterEach(async () => {
  await Promise.all(senders.map((s) => s.close()));
  senders = [];
  await receiver.close();
});

const send = (allowPrivateTargets: boolean, url: string) => {
  const sender = makeWebhookSender({
    connectTimeoutMs: 1_000,
    timeoutMs: 2_000,
    allowPrivateTargets,
    userAgent: "t",
  });
  senders.push(sender);
  return sender.send({ deliveryId: "d1", url, body: "{}", headers: {}, secrets: [SECRET] });
};

const blocked = { kind: "permanent", error: "blocked-target", gone: false };
/** A blocked-target outcome whose detail (the policy's reason, what was refused) matches `detail`. */
const blockedBecause = (detail: RegExp) => ({ ...blocked, detail: expect.stringMatching(detail) as unknown });

describe("outbound guard with allowPrivateTargets false", () => {
  it("refuses a DNS name that resolves to loopback (localhost) without opening a connection", async () => {
    const result = await send(false, `http://localhost:${receiver.port}/hook`);
    expect(result.outcome).toEqual(blockedBecause(/^loopback: (127\.0\.0\.1|::1) for localhost$/));
    expect(receiver.connections()).toBe(0);
  });

  it("refuses https to a name that resolves to loopback too (the TLS connect path uses the same lookup)", async () => {
    const result = await send(false, `https://localhost:${receiver.port}/hook`);
    expect(result.outcome).toEqual(blockedBecause(/^loopback: .* for localhost$/));
    expect(receiver.connections()).toBe(0);
  });

  it.each([
    ["http://127.0.0.1:PORT/hook", /^loopback: 127\.0\.0\.1$/],
    ["http://2130706433:PORT/hook", /^loopback: 127\.0\.0\.1$/],
    ["http://0x7f.0.0.1:PORT/hook", /^loopback: 127\.0\.0\.1$/],
    ["http://[::1]:PORT/hook", /^loopback: \[::1\]$/],
    ["http://[::ffff:127.0.0.1]:PORT/hook", /: \[::ffff:7f00:1\]$/],
    ["http://169.254.169.254/latest/meta-data", /^cloud metadata service: 169\.254\.169\.254$/],
    ["http://10.0.0.1/hook", /^private network: 10\.0\.0\.1$/],
  ])("refuses the IP literal in %s without opening a connection", async (url, detail) => {
    const result = await send(false, url.replace("PORT", String(receiver.port)));
    expect(result.outcome).toEqual(blockedBecause(detail));
    expect(receiver.connections()).toBe(0);
  });

  it.each([
    ["not a url", "not a valid URL"],
    ["ftp://example.com/x", "not http(s)"],
    ["http://user:pass@example.com/x", "credentials in URL"],
  ])("refuses the unusable URL %j as a blocked target", async (url, detail) => {
    expect((await send(false, url)).outcome).toEqual({ ...blocked, detail });
  });
});

describe("outbound guard with allowPrivateTargets true (local runs and tests)", () => {
  it.each(["localhost", "127.0.0.1"])("connects to %s", async (host) => {
    const result = await send(true, `http://${host}:${receiver.port}/hook`);
    expect(result.outcome).toEqual({ kind: "delivered", status: 204 });
    expect(receiver.connections()).toBe(1);
  });
});

describe("the connector itself (the check at connect time)", () => {
  const connectWith = (hostname: string, port: number) =>
    new Promise<{ error: Error | null; socket: net.Socket | null }>((resolve) => {
      const connect = makeConnector({ connectTimeoutMs: 1_000, allowPrivateTargets: false });
      connect({ hostname, protocol: "http:", port: String(port) }, (error, socket) =>
        resolve({ error, socket }),
      );
    });

  it.each(["127.0.0.1", "::1", "::ffff:127.0.0.1", "localhost"])(
    "refuses %s before any TCP connection is made",
    async (hostname) => {
      const { error, socket } = await connectWith(hostname, receiver.port);
      expect(error).toBeInstanceOf(BlockedTargetError);
      expect(socket ?? null).toBeNull();
      expect(receiver.connections()).toBe(0);
    },
  );

  it("passes lookups of every address family through the policy, in both callback shapes", async () => {
    const lookupAll = await new Promise<unknown>((resolve) =>
      guardedLookup("localhost", { all: true }, (error) => resolve(error)),
    );
    const lookupOne = await new Promise<unknown>((resolve) =>
      guardedLookup("localhost", { family: 4 }, (error) => resolve(error)),
    );
    expect(lookupAll).toBeInstanceOf(BlockedTargetError);
    expect(lookupOne).toBeInstanceOf(BlockedTargetError);
    expect((lookupOne as BlockedTargetError).reason).toBe("loopback: 127.0.0.1 for localhost");
  });
});
