import { createServer, type Server, type Socket } from "node:net";

import { makeTableStorageProbe, type StorageCheck } from "../../adapters/tables/storageProbe";
import { tableClientFor } from "../../composition";
import { freshTableName, testStorageConnection } from "../../test-support/storage";
import { type Health, makeHealthCheck } from "./health";

/** A TCP server on 127.0.0.1 that accepts connections and never answers (storage that hangs). */
const silentServer = async (): Promise<{ port: number; close(): Promise<void> }> => {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
};

/** Azurite's connection string with its table endpoint moved to `port` (where nothing, or a silent server, is). */
const storageAt = (port: number): string =>
  testStorageConnection().replace(
    /TableEndpoint=http:\/\/127\.0\.0\.1:\d+/,
    `TableEndpoint=http://127.0.0.1:${port}`,
  );

const probeOf = (connection: string, timeoutMs = 1000) =>
  makeTableStorageProbe(tableClientFor(connection, freshTableName("Health"), { maxRetries: 0 }), timeoutMs);

const closedPort = async (): Promise<number> => {
  const server = await silentServer();
  await server.close();
  return server.port;
};

describe("storage probe (Azurite)", () => {
  it("is ok against storage, even before the table exists", async () => {
    expect(await probeOf(testStorageConnection())()).toEqual({ kind: "ok" });
  });

  it("says connection-refused when nothing listens on the storage port", async () => {
    expect(await probeOf(storageAt(await closedPort()))()).toEqual({
      kind: "unreachable",
      error: "connection-refused",
    });
  });

  it("gives up as a timeout when storage accepts but never answers", async () => {
    const silent = await silentServer();
    try {
      expect(await probeOf(storageAt(silent.port), 200)()).toEqual({ kind: "unreachable", error: "timeout" });
    } finally {
      await silent.close();
    }
  });
});

describe("health route", () => {
  const setup = (checks: StorageCheck[]) => {
    let now = 0;
    let probes = 0;
    const health = makeHealthCheck({
      probe: () => {
        probes++;
        return Promise.resolve(checks.shift() ?? { kind: "ok" });
      },
      clock: { now: () => new Date(now) },
      version: "1.2.3",
      cacheMs: 2000,
    });
    return {
      get: async (): Promise<{ status?: number; body: Health }> => {
        const response = await health();
        return { status: response.status, body: response.jsonBody as Health };
      },
      advance: (ms: number) => (now += ms),
      probes: () => probes,
    };
  };

  it("says degraded with the reason while storage is unreachable, ok once it is back", async () => {
    const s = setup([{ kind: "unreachable", error: "connection-refused" }, { kind: "ok" }]);
    expect(await s.get()).toEqual({
      status: 200,
      body: {
        status: "degraded",
        version: "1.2.3",
        checks: { storage: "unreachable" },
        reason: "storage unreachable: connection-refused",
      },
    });
    s.advance(2000);
    expect(await s.get()).toEqual({
      status: 200,
      body: { status: "ok", version: "1.2.3", checks: { storage: "ok" } },
    });
  });

  it("probes storage at most once per cache period, however many requests come", async () => {
    const s = setup([{ kind: "unreachable", error: "timeout" }]);
    const answers = await Promise.all(Array.from({ length: 50 }, () => s.get()));
    expect(new Set(answers.map((a) => a.body.status))).toEqual(new Set(["degraded"]));
    s.advance(1999);
    expect((await s.get()).body.status).toBe("degraded");
    expect(s.probes()).toBe(1);
    s.advance(1);
    expect((await s.get()).body.status).toBe("ok");
    expect(s.probes()).toBe(2);
  });

  it("never shows the storage address or account in its answer", async () => {
    const connection = storageAt(await closedPort());
    const health = makeHealthCheck({
      probe: probeOf(connection),
      clock: { now: () => new Date() },
      version: "1.2.3",
      cacheMs: 2000,
    });
    const text = JSON.stringify((await health()).jsonBody);
    expect(text).toContain("degraded");
    for (const part of connection.split(";").flatMap((kv) => kv.split("=").slice(1)))
      if (part.length > 4) expect(text).not.toContain(part);
    expect(text).not.toMatch(/127\.0\.0\.1|devstoreaccount1/);
  });
});
