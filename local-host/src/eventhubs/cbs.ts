import type { Connection, Message } from "rhea";

import { type ReplyLinks, statusProperties } from "./replyLinks";

/**
 * Claims-based security on `$cbs`: every put-token is accepted (202), whatever the token, since the local
 * endpoint has no identities. Other operations get 400 so a client sees why it failed.
 */
export const handleCbsRequest = (links: ReplyLinks, connection: Connection, request: Message): void => {
  const operation: unknown = request.application_properties?.operation;
  const reply =
    operation === "put-token"
      ? statusProperties(202, "Accepted")
      : statusProperties(400, `unsupported $cbs operation '${String(operation)}'`, "amqp:not-implemented");
  links.reply(connection, request, { application_properties: reply, body: null });
};
