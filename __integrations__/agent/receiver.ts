import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { type AddressInfo } from "node:net";

import { Webhook } from "standardwebhooks";

import { always, type Responder } from "./responses";

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  readonly webhookId: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The request's attempt number for its webhook-id (1 for the first time the id is seen). */
  readonly attempt: number;
  /** Whether the signature verified with one of the receiver's secrets at receipt. */
  readonly signatureValid: boolean;
  readonly status: number;
}

export interface WebhookReceiver {
  readonly name: string;
  readonly url: string;
  readonly requests: ReadonlyArray<ReceivedRequest>;
  /** Distinct webhook-id values received. */
  unique(): number;
  /** Distinct webhook-id values answered with a 2xx. */
  delivered(): number;
  /** The parsed bodies of the first request of each webhook-id, in arrival order. */
  bodies(): ReadonlyArray<unknown>;
  /** Secrets the signature is verified against (any may match). */
  useSecrets(...secrets: ReadonlyArray<string>): void;
  respond(responder: Responder): void;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  readonly name: string;
  readonly bindHost: string;
  /** Host name the dispatcher reaches this receiver by. */
  readonly advertisedHost: string;
  readonly port?: number;
  readonly responder?: Responder;
  /** Answers this long after a request arrived (a slow receiver); it is recorded on arrival. */
  readonly delayMs?: number;
}

const flatHeaders = (headers: IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers).flatMap(([k, v]) =>
      v === undefined ? [] : [[k, Array.isArray(v) ? v.join(", ") : v]],
    ),
  );

/** True when the body and headers verify per Standard Webhooks with `secret`. */
export const verifies = (request: Pick<ReceivedRequest, "body" | "headers">, secret: string): boolean => {
  try {
    new Webhook(secret).verify(request.body, request.headers);
    return true;
  } catch {
    return false;
  }
};

/**
 * A webhook receiver on node:http: records every request, verifies its Standard Webhooks signature, and answers
 * what its responder says for that delivery's attempt number.
 */
export const startReceiver = async (options: ReceiverOptions): Promise<WebhookReceiver> => {
  const requests: ReceivedRequest[] = [];
  let secrets: ReadonlyArray<string> = [];
  let responder = options.responder ?? always(200);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const headers = flatHeaders(req.headers);
      const body = Buffer.concat(chunks).toString("utf8");
      const webhookId = headers["webhook-id"] ?? "";
      const attempt = requests.filter((r) => r.webhookId === webhookId).length + 1;
      const reply = responder(attempt, { headers, body });
      const signatureValid = secrets.some((secret) => verifies({ body, headers }, secret));
      requests.push({ webhookId, headers, body, attempt, signatureValid, status: reply.status });
      const answer = () => {
        res.writeHead(reply.status, reply.headers ?? {});
        res.end(reply.body ?? "");
      };
      if (options.delayMs === undefined) answer();
      else setTimeout(answer, options.delayMs);
    });
  });
  // Above undici's 2 s keep-alive margin, so the dispatcher reuses connections as it would with a real receiver.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.bindHost, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const ids = (filter: (r: ReceivedRequest) => boolean): number =>
    new Set(requests.filter(filter).map((r) => r.webhookId)).size;
  return {
    name: options.name,
    url: `http://${options.advertisedHost}:${port}/hooks/${options.name}`,
    requests,
    unique: () => ids(() => true),
    delivered: () => ids((r) => r.status >= 200 && r.status < 300),
    bodies: () => requests.filter((r) => r.attempt === 1).map((r) => JSON.parse(r.body) as unknown),
    useSecrets: (...list) => {
      secrets = list;
    },
    respond: (next) => {
      responder = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
