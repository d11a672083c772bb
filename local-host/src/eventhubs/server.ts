import type { Server, Socket } from "node:net";

import type { Connection, EventContext, Message, Receiver, Sender } from "rhea";
import { create_container } from "rhea";

import { handleCbsRequest } from "./cbs";
import { parseStartPosition, startIndex } from "./eventPosition";
import type { AmqpFailure, HubStore } from "./hubStore";
import { tolerateLateFramesOnConnection, tolerateLateFramesOnSession } from "./lateFrames";
import { handleManagementRequest } from "./management";
import { epochOf, ReceiverRegistry, wantsRuntimeInfo } from "./receiverLink";
import { ReplyLinks } from "./replyLinks";
import { MAX_MESSAGE_SIZE, type PublishTarget, RoundRobin, settlePublish } from "./senderLink";

/** What a client's sending link (our receiving end) is for. */
type Inbound =
  { readonly kind: "Cbs" } | { readonly kind: "Management" } | ({ readonly kind: "Publish" } & PublishTarget);

const isFailure = (value: object): value is AmqpFailure => "condition" in value;

const addressOf = (terminus: unknown): string =>
  typeof terminus === "object" &&
  terminus !== null &&
  "address" in terminus &&
  typeof terminus.address === "string"
    ? terminus.address
    : "";

/** The AMQP side of the endpoint: routes links and messages to the store, CBS, management and receivers. */
export class AmqpEndpoint {
  private readonly container = create_container({
    id: "local-eventhubs",
    receiver_options: { autoaccept: false },
  });
  private readonly inbound = new WeakMap<Receiver, Inbound>();
  private readonly replies = new ReplyLinks();
  private readonly receivers: ReceiverRegistry;
  private readonly roundRobin = new RoundRobin();
  private readonly sockets = new Set<Socket>();
  private readonly connections = new Set<Connection>();

  constructor(
    private readonly store: HubStore,
    private readonly clock: () => number,
  ) {
    this.receivers = new ReceiverRegistry(clock);
    const mechanisms = this.container.sasl_server_mechanisms as {
      enable_anonymous(): void;
      enable_plain(check: () => boolean): void;
    };
    mechanisms.enable_anonymous();
    mechanisms.enable_plain(() => true);
    this.container.on("connection_open", (ctx: EventContext) => {
      this.connections.add(ctx.connection);
      tolerateLateFramesOnConnection(ctx.connection);
    });
    this.container.on(
      "session_open",
      (ctx: EventContext) => ctx.session && tolerateLateFramesOnSession(ctx.session),
    );
    this.container.on("receiver_open", (ctx: EventContext) =>
      this.guard(ctx, () => this.onReceiverOpen(ctx)),
    );
    this.container.on("sender_open", (ctx: EventContext) => this.guard(ctx, () => this.onSenderOpen(ctx)));
    this.container.on("message", (ctx: EventContext) => this.guard(ctx, () => this.onMessage(ctx)));
    this.container.on("sendable", (ctx: EventContext) => ctx.sender && this.receivers.sendable(ctx.sender));
    this.container.on("sender_close", (ctx: EventContext) => this.forgetSender(ctx.sender));
    this.container.on("session_close", (ctx: EventContext) =>
      this.forgetWhere((s) => s.session === ctx.session),
    );
    this.container.on("disconnected", (ctx: EventContext) => this.forgetConnection(ctx.connection));
    this.container.on("connection_close", (ctx: EventContext) => this.forgetConnection(ctx.connection));
    // Failure policy: protocol and link errors end at most that connection; the endpoint keeps serving.
    this.container.on("error", () => undefined);
    this.container.on("protocol_error", () => undefined);
  }

  /** Runs a handler; an unexpected exception closes only the link (or connection) it came from. */
  private guard(ctx: EventContext, handler: () => void): void {
    try {
      handler();
    } catch (error) {
      const failure = {
        condition: "amqp:internal-error",
        description: error instanceof Error ? error.message : "",
      };
      const link = ctx.receiver ?? ctx.sender;
      if (link !== undefined && link.is_open()) link.close(failure);
    }
  }

  private onReceiverOpen(ctx: EventContext): void {
    const receiver = ctx.receiver;
    if (receiver === undefined) return;
    const address = addressOf(receiver.target);
    receiver.set_target({ address });
    (
      receiver as unknown as { local: { attach: { max_message_size: number } } }
    ).local.attach.max_message_size = MAX_MESSAGE_SIZE;
    if (address === "$cbs") return void this.inbound.set(receiver, { kind: "Cbs" });
    if (address === "$management") return void this.inbound.set(receiver, { kind: "Management" });
    const resolved = this.store.resolve(address);
    if (isFailure(resolved)) return receiver.close(resolved);
    if (resolved.kind === "ConsumerPartition")
      return receiver.close({ condition: "amqp:not-allowed", description: `cannot send to '${address}'` });
    const partition = resolved.kind === "Partition" ? resolved.partition : undefined;
    this.inbound.set(receiver, { kind: "Publish", hub: resolved.hub, partition });
  }

  private onSenderOpen(ctx: EventContext): void {
    const sender = ctx.sender;
    if (sender === undefined) return;
    const address = addressOf(sender.source);
    sender.set_source({ address });
    if (address === "$cbs" || address === "$management") return this.replies.add(sender);
    const resolved = this.store.resolve(address);
    if (isFailure(resolved)) return sender.close(resolved);
    if (resolved.kind !== "ConsumerPartition")
      return sender.close({ condition: "amqp:not-allowed", description: `cannot receive from '${address}'` });
    const position = parseStartPosition(sender.source?.filter);
    if (position instanceof Error)
      return sender.close({ condition: "amqp:invalid-field", description: position.message });
    const log = resolved.hub.partitions[resolved.partition];
    if (log === undefined) return sender.close({ condition: "amqp:not-found", description: address });
    const key = `${resolved.hub.name}/${resolved.consumerGroup}/${resolved.partition}`;
    const options = {
      epoch: epochOf(sender.properties),
      runtimeInfo: wantsRuntimeInfo(sender.desired_capabilities),
      start: startIndex(log, position),
    };
    const refused = this.receivers.attach(key, sender, options, log);
    if (refused !== undefined) sender.close(refused);
  }

  private onMessage(ctx: EventContext): void {
    const { receiver, delivery, connection } = ctx;
    const inbound = receiver === undefined ? undefined : this.inbound.get(receiver);
    if (inbound === undefined || delivery === undefined) return;
    const body = ctx.message as unknown as Buffer | Message;
    switch (inbound.kind) {
      case "Cbs":
        delivery.accept();
        return handleCbsRequest(this.replies, connection, body as Message);
      case "Management":
        delivery.accept();
        return handleManagementRequest(this.store, this.replies, connection, body as Message);
      case "Publish":
        return settlePublish(delivery, body, inbound, this.roundRobin, this.clock());
      default: {
        const unexpected: never = inbound;
        return unexpected;
      }
    }
  }

  private forgetSender(sender: Sender | undefined): void {
    if (sender === undefined) return;
    this.receivers.detach(sender);
    this.replies.remove(sender);
  }

  private forgetWhere(predicate: (sender: Sender) => boolean): void {
    this.receivers.detachWhere(predicate);
  }

  private forgetConnection(connection: Connection): void {
    this.connections.delete(connection);
    this.receivers.detachWhere((s) => s.connection === connection);
  }

  /** Starts listening; rejects with an error naming the port if it is taken. */
  async listen(host: string, port: number): Promise<Server> {
    const server = this.container.listen({ host, port });
    server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("listening", () => resolve());
      server.once("error", (error: NodeJS.ErrnoException) =>
        reject(
          new Error(
            error.code === "EADDRINUSE"
              ? `Event Hubs endpoint cannot listen on ${host}:${port}: the port is already in use`
              : `Event Hubs endpoint cannot listen on ${host}:${port}: ${error.message}`,
          ),
        ),
      );
    });
    return server;
  }

  /**
   * Closes every client connection with an AMQP close (so clients see a clean shutdown), then destroys the
   * sockets that are still open after graceMs.
   */
  async closeConnections(graceMs = 1000): Promise<void> {
    this.receivers.detachWhere(() => true);
    for (const connection of this.connections) if (connection.is_open()) connection.close();
    this.connections.clear();
    const sockets = [...this.sockets];
    let timer: NodeJS.Timeout | undefined;
    const closed = Promise.all(
      sockets.map((socket) =>
        socket.closed ? Promise.resolve() : new Promise((r) => socket.once("close", r)),
      ),
    );
    await Promise.race([closed, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    for (const socket of sockets) socket.destroy();
    this.sockets.clear();
  }
}
