import { createServer, request as httpRequest, type Server } from "node:http";
import { type AddressInfo } from "node:net";

import { azuriteConnectionString, type RunningAzurite, startAzurite } from "functions-local-host";

/** Where an armed trap falls: as the request arrives (never forwarded) or once storage did it (its answer lost). */
export type KillPoint = "before-removal" | "after-removal";

export interface KillingProxy {
  readonly port: number;
  /** Arms the trap: the `nth` (default 1st) DELETE on `table` from now on calls `kill` at `at`. */
  arm(kill: () => void, options?: { readonly at?: KillPoint; readonly nth?: number }): void;
  close(): Promise<void>;
}

/**
 * A proxy in front of Azurite's table endpoint that kills the runtime on a chosen DELETE of one table, so a fault
 * test can put a SIGKILL between two storage steps exactly.
 */
export const startKillingProxy = async (tablePort: number, table: string): Promise<KillingProxy> => {
  let armed: { kill: () => void; at: KillPoint; left: number } | undefined;
  const server: Server = createServer((req, res) => {
    let trap: { kill: () => void; at: KillPoint } | undefined;
    if (armed !== undefined && req.method === "DELETE" && (req.url ?? "").includes(`/${table}(`)) {
      armed.left--;
      if (armed.left === 0) {
        trap = armed;
        armed = undefined;
      }
    }
    if (trap?.at === "before-removal") {
      trap.kill();
      req.socket.destroy();
      return;
    }
    const upstream = httpRequest(
      { host: "127.0.0.1", port: tablePort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        if (trap !== undefined) {
          trap.kill();
          req.socket.destroy();
          answer.resume();
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    arm: (kill, options = {}) => {
      armed = { kill, at: options.at ?? "before-removal", left: options.nth ?? 1 };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/** The fault stack's storage: an on-disk Azurite whose table endpoint the runtime reaches through the proxy. */
export const azuriteBehindKillingProxy =
  (table: string, onProxy: (proxy: KillingProxy) => void) =>
  async (dataDir: string): Promise<RunningAzurite> => {
    const azurite = await startAzurite({ location: `${dataDir}/azurite` });
    const proxy = await startKillingProxy(azurite.tablePort, table);
    onProxy(proxy);
    return {
      ...azurite,
      pid: azurite.pid,
      stop: () => azurite.stop(),
      tablePort: proxy.port,
      connectionString: azuriteConnectionString(azurite.blobPort, proxy.port, azurite.queuePort),
    };
  };
