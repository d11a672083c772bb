import type { AddressInfo, Server, Socket } from "node:net";

import {
  type Connection,
  type ConnectionOptions,
  type Container,
  type ContainerOptions,
  create_container,
  type EventContext,
} from "rhea";

/** Contract-test support: a rhea server container and a client connected to it over 127.0.0.1. */
export interface Loopback {
  readonly server: Container;
  /** The server's end of the client's connection. */
  readonly serverConnection: Connection;
  readonly client: Connection;
  close(): Promise<void>;
}

export const openLoopback = async (
  options: {
    readonly server?: ContainerOptions;
    /** Adds handlers (or SASL mechanisms) to the server container before it listens. */
    readonly configure?: (server: Container) => void;
    /** SASL PLAIN credentials for the client. */
    readonly credentials?: { readonly username: string; readonly password: string };
  } = {},
): Promise<Loopback> => {
  const server = create_container({ id: "contract-server", ...options.server });
  options.configure?.(server);
  const listener: Server = server.listen({ host: "127.0.0.1", port: 0 });
  const sockets = new Set<Socket>();
  listener.on("connection", (socket: Socket) => sockets.add(socket));
  await new Promise<void>((resolve) => listener.once("listening", () => resolve()));
  const { port } = listener.address() as AddressInfo;
  const opened = new Promise<Connection>((resolve) =>
    server.once("connection_open", (ctx: EventContext) => resolve(ctx.connection)),
  );
  const connect: ConnectionOptions = { host: "127.0.0.1", port, reconnect: false, ...options.credentials };
  const client = create_container({ id: "contract-client" }).connect(connect);
  await new Promise<void>((resolve, reject) => {
    client.once("connection_open", () => resolve());
    client.once("connection_error", () => reject(new Error("the loopback connection was refused")));
  });
  const serverConnection = await opened;
  // rhea writes a console warning for every disconnect nobody listens to; these are expected when a test closes.
  server.on("disconnected", () => undefined);
  client.on("disconnected", () => undefined);
  return {
    server,
    serverConnection,
    client,
    close: async () => {
      const gone = new Promise<void>((resolve) => {
        client.once("disconnected", () => resolve());
        setTimeout(resolve, 1000).unref();
      });
      client.close();
      sockets.forEach((socket) => socket.destroy());
      await gone;
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
};

/** Resolves with the context of the next `event` the emitter raises. */
export const next = (
  emitter: { once(event: string, listener: (ctx: EventContext) => void): unknown },
  event: string,
): Promise<EventContext> => new Promise((resolve) => emitter.once(event, resolve));

export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
