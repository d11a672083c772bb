import { createServer, type Server } from "node:http";

import { type ReceivedRequest, startReceiver, type WebhookReceiver } from "../../agent/receiver";

/**
 * A webhook receiver that can go down and come back on the same port, so the registered URL stays valid. While
 * down, an HTTP server still listens on the port and resets every connection it accepts before reading from it
 * (the dispatcher gets ECONNRESET), counting the connections and any request that would get through, so the test
 * can see that attempts reached the port and none completed. Requests are kept across both lives.
 */
export interface OutageReceiver {
  readonly name: string;
  readonly url: string;
  /** Every request, from every life of the receiver. */
  requests(): ReadonlyArray<ReceivedRequest>;
  /** Distinct webhook-ids answered with a 2xx. */
  delivered(): number;
  useSecrets(...secrets: ReadonlyArray<string>): void;
  /** TCP connections accepted while down (each reset at once). */
  outageConnections(): number;
  /** HTTP requests that got through while down (parsed to their end): 0 unless the outage leaks. */
  outageRequests(): number;
  goDown(): Promise<void>;
  comeBack(): Promise<void>;
  close(): Promise<void>;
}

export const startOutageReceiver = async (name: string): Promise<OutageReceiver> => {
  const options = { name, bindHost: "127.0.0.1", advertisedHost: "127.0.0.1" };
  let current: WebhookReceiver | undefined = await startReceiver(options);
  const url = current.url;
  const port = Number(new URL(url).port);
  const earlier: ReceivedRequest[] = [];
  let secrets: ReadonlyArray<string> = [];
  let outage: Server | undefined;
  let outageConnections = 0;
  let outageRequests = 0;
  const stopOutage = async (): Promise<void> => {
    const server = outage;
    outage = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const requests = (): ReadonlyArray<ReceivedRequest> => [...earlier, ...(current?.requests ?? [])];
  return {
    name,
    url,
    requests,
    delivered: () =>
      new Set(
        requests()
          .filter((r) => r.status >= 200 && r.status < 300)
          .map((r) => r.webhookId),
      ).size,
    useSecrets: (...list) => {
      secrets = list;
      current?.useSecrets(...list);
    },
    async goDown() {
      if (current === undefined) return;
      const down = current;
      current = undefined;
      earlier.push(...down.requests);
      await down.close();
      const server = createServer((req, res) => {
        req.resume();
        req.on("end", () => {
          outageRequests++;
          res.destroy();
        });
      });
      server.on("connection", (socket) => {
        outageConnections++;
        socket.resetAndDestroy();
      });
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, options.bindHost, () => resolve());
      });
      outage = server;
    },
    outageConnections: () => outageConnections,
    outageRequests: () => outageRequests,
    async comeBack() {
      if (current !== undefined) return;
      await stopOutage();
      current = await startReceiver({ ...options, port });
      current.useSecrets(...secrets);
    },
    close: async () => {
      await stopOutage();
      await current?.close();
    },
  };
};
