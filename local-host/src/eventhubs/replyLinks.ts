import type { Connection, Message, Sender } from "rhea";

/**
 * The links clients open to receive replies on $cbs and $management, per connection. A request names its
 * reply link in reply_to: the SDK's CBS client uses the link's name, its management client the name and the
 * target address, so both are matched.
 */
export class ReplyLinks {
  private readonly byConnection = new WeakMap<Connection, Map<string, Sender>>();

  add(sender: Sender): void {
    const links = this.byConnection.get(sender.connection) ?? new Map<string, Sender>();
    this.byConnection.set(sender.connection, links);
    links.set(sender.name, sender);
    const target: unknown = sender.target?.address;
    if (typeof target === "string" && target !== sender.name) links.set(target, sender);
  }

  remove(sender: Sender): void {
    const links = this.byConnection.get(sender.connection);
    if (links === undefined) return;
    for (const [key, link] of links) if (link === sender) links.delete(key);
  }

  /**
   * Sends the reply to the link the request named. Failure policy: a request whose reply link is unknown or
   * closed gets no reply; the client times out and retries, as it would against the service.
   */
  reply(connection: Connection, request: Message, reply: Message): boolean {
    const name = request.reply_to;
    const link = typeof name === "string" ? this.byConnection.get(connection)?.get(name) : undefined;
    if (link === undefined || !link.is_open()) return false;
    link.send({ ...reply, correlation_id: request.message_id, to: name });
    return true;
  }
}

export const statusProperties = (
  code: number,
  description: string,
  condition?: string,
): Record<string, string | number> => ({
  "status-code": code,
  "status-description": description,
  ...(condition === undefined ? {} : { "error-condition": condition }),
});
