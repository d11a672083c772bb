import * as http from "node:http";
import type { AddressInfo } from "node:net";

/** What a local test receiver saw of one request. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: ReadonlyArray<string>;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A real node:http server on 127.0.0.1 for adapter tests, counting the TCP connections it accepts. */
export interface TestServer {
  readonly port: number;
  readonly url: string;
  readonly requests: ReceivedRequest[];
  connections(): number;
  /** Connections accepted and not closed yet. */
  openConnections(): number;
  close(): Promise<void>;
}

type Handler = (request: ReceivedRequest, response: http.ServerResponse, raw: http.IncomingMessage) => void;

const flatHeaders = (incoming: http.IncomingMessage): Record<string, string> =>
  Object.fromEntries(
    Object.entries(incoming.headers).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.join(", ") : (value ?? ""),
    ]),
  );

/** Starts a receiver whose handler sees each request after its body has been read. */
export const startServer = async (handler: Handler): Promise<TestServer> => {
  const requests: ReceivedRequest[] = [];
  let connections = 0;
  let open = 0;
  const server = http.createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const request: ReceivedRequest = {
        method: incoming.method ?? "",
        url: incoming.url ?? "",
        rawHeaders: incoming.rawHeaders,
        headers: flatHeaders(incoming),
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(request);
      handler(request, response, incoming);
    });
  });
  server.on("connection", (socket) => {
    connections += 1;
    open += 1;
    socket.once("close", () => (open -= 1));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    connections: () => connections,
    openConnections: () => open,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/** A port that was just listened on and closed: connecting to it is refused. */
export const closedPort = async (): Promise<number> => {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
};

/** Resolves when `condition` holds, polling briefly; fails after `timeoutMs`. */
export const waitFor = async (condition: () => boolean, timeoutMs = 5_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
