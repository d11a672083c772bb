import { EventEmitter } from "node:events";
import { performance } from "node:perf_hooks";

import type { Dispatcher } from "undici";
import { Pool } from "undici";

import { blockedHostLiteralReason } from "../../domain/addressPolicy";
import type { DeliveryOutcome } from "../../domain/classification";
import { classifyError, classifyResponse } from "../../domain/classification";
import { AttemptTimeoutError, blockedReasonOf, deliveryErrorKind } from "./errorKinds";
import { makeConnector } from "./guardedConnector";
import { signatureHeaders } from "./signing";

export interface WebhookRequest {
  /** webhook-id header, the same on every attempt. */
  readonly deliveryId: string;
  readonly url: string;
  /** Exactly JSON.stringify({name, payload}); the caller builds it. */
  readonly body: string;
  /** The webhook's own extra headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** webhook-sequence and webhook-previous-id of an ordered delivery (outside the signature). */
  readonly sequenceHeaders?: Readonly<Record<string, string>>;
  /** "whsec_..."; the first is current, during a rotation the previous one follows. */
  readonly secrets: ReadonlyArray<string>;
  /** A shorter deadline for this attempt than the sender's `timeoutMs` (the ingest's first attempts). */
  readonly timeoutMs?: number;
}

export interface AttemptResult {
  readonly outcome: DeliveryOutcome;
  readonly latencyMs: number;
  /** The start of the receiver's answer (UTF-8, at most ANSWER_BYTES) when it answered with a non-2xx status. */
  readonly answer?: string;
}

/** How much of a failing receiver's answer the delivery log keeps: enough to read an error message. */
export const ANSWER_BYTES = 256;

export interface WebhookSender {
  /** Makes one attempt. Resolves with the outcome for every delivery failure; rejects only on a programming error. */
  send(request: WebhookRequest): Promise<AttemptResult>;
  close(): Promise<void>;
}

export interface WebhookSenderOptions {
  readonly connectTimeoutMs: number;
  /** The whole attempt: connect, response headers and the (discarded) response body. */
  readonly timeoutMs: number;
  /** Only for local runs and tests: lets deliveries reach loopback and private addresses. */
  readonly allowPrivateTargets: boolean;
  readonly userAgent: string;
  readonly clock?: { now(): Date };
  /** How much of a response body is read before the connection is dropped. Default 64 KB. */
  readonly maxResponseBytes?: number;
  /** Keep-alive connections per receiver origin. Default 64. */
  readonly connectionsPerOrigin?: number;
  /** A receiver origin's pool unused this long is closed (deleted webhooks, rare receivers). Default 5 min. */
  readonly idlePoolMs?: number;
}

/** Headers a webhook's own headers may never set: ours, and those that belong to the connection. */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  "content-type",
  "user-agent",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "webhook-sequence",
  "webhook-previous-id",
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "expect",
  "te",
  "trailer",
  "proxy-connection",
]);

const extraHeaders = (headers: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !RESERVED_HEADERS.has(name.toLowerCase())));

const firstHeader = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

/**
 * The attempt's total timeout as the abort signal undici takes. undici accepts an EventEmitter with `aborted` and
 * `reason` as well as an AbortSignal, and the emitter is far cheaper: an AbortController per request (EventTarget
 * listeners added and removed) cost about 17 us of the sender's 45 us of CPU per POST (`senderbench`, loopback).
 */
class AttemptDeadline extends EventEmitter {
  aborted = false;
  reason: Error | undefined;

  expire(reason: Error): void {
    this.aborted = true;
    this.reason = reason;
    this.emit("abort");
  }
}

/**
 * Reads and discards the response body up to `limit` bytes. A receiver that sends more gets its connection
 * destroyed instead of read further: we never buffer or drain an unbounded body.
 */
const discardBody = (body: Dispatcher.ResponseData["body"], limit: number, keep = 0): Promise<Buffer> =>
  new Promise<Buffer>((resolve, reject) => {
    let received = 0;
    const kept: Buffer[] = [];
    let keptBytes = 0;
    const done = () => resolve(Buffer.concat(kept));
    body.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (keptBytes < keep) {
        const part = chunk.subarray(0, keep - keptBytes);
        kept.push(part);
        keptBytes += part.length;
      }
      if (received > limit) {
        body.destroy();
        done();
      }
    });
    body.once("end", done);
    // An error (a stalled body hitting the deadline, a reset connection) means the attempt did not complete.
    body.once("error", reject);
  });

/** Webhook delivery over undici: one keep-alive Pool per receiver origin, signed Standard Webhooks requests. */
export const makeWebhookSender = (options: WebhookSenderOptions): WebhookSender => {
  const clock = options.clock ?? { now: () => new Date() };
  const maxResponseBytes = options.maxResponseBytes ?? 64 * 1024;
  const connect = makeConnector(options);
  const pools = new Map<string, { pool: Pool; lastUsed: number; inFlight: number }>();
  const idlePoolMs = options.idlePoolMs ?? 5 * 60_000;

  const poolFor = (origin: string) => {
    let entry = pools.get(origin);
    if (entry === undefined) {
      const pool = new Pool(origin, {
        connections: options.connectionsPerOrigin ?? 64,
        connect,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      entry = { pool, lastUsed: 0, inFlight: 0 };
      pools.set(origin, entry);
    }
    entry.lastUsed = performance.now();
    return entry;
  };

  // Failure policy: a pool is never closed under a request; an evicted origin simply gets a new pool next time.
  const sweep = setInterval(
    () => {
      const now = performance.now();
      for (const [origin, entry] of pools) {
        if (entry.inFlight > 0 || now - entry.lastUsed < idlePoolMs) continue;
        pools.delete(origin);
        void entry.pool.close().catch(() => undefined);
      }
    },
    Math.max(50, Math.min(idlePoolMs, 60_000)),
  );
  sweep.unref();

  const attempt = async (
    request: WebhookRequest,
    url: URL,
  ): Promise<{ outcome: DeliveryOutcome; answer?: string }> => {
    const headers = {
      "content-type": "application/json",
      "user-agent": options.userAgent,
      ...signatureHeaders(request.deliveryId, clock.now(), request.body, request.secrets),
      ...extraHeaders(request.headers),
      ...request.sequenceHeaders,
    };
    const entry = poolFor(url.origin);
    entry.inFlight++;
    const deadline = new AttemptDeadline();
    const limitMs = Math.min(request.timeoutMs ?? options.timeoutMs, options.timeoutMs);
    const timer = setTimeout(() => deadline.expire(new AttemptTimeoutError(limitMs)), limitMs);
    try {
      const response = await entry.pool.request({
        method: "POST",
        path: `${url.pathname}${url.search}`,
        headers,
        body: request.body,
        signal: deadline,
      });
      const failed = response.statusCode < 200 || response.statusCode > 299;
      const kept = await discardBody(response.body, maxResponseBytes, failed ? ANSWER_BYTES : 0);
      const retryAfter = firstHeader(response.headers["retry-after"]);
      const outcome = classifyResponse(
        response.statusCode,
        retryAfter === undefined ? {} : { retryAfter },
        clock.now(),
      );
      // The answer is text for an operator to read: a cut multi-byte character becomes U+FFFD, never an error.
      return kept.length === 0 ? { outcome } : { outcome, answer: kept.toString("utf8") };
    } catch (error) {
      // The body stalled or the connection failed: the status alone did not complete the delivery.
      const kind = deliveryErrorKind(error);
      return { outcome: classifyError(kind, kind === "blocked-target" ? blockedReasonOf(error) : undefined) };
    } finally {
      clearTimeout(timer);
      entry.inFlight--;
      entry.lastUsed = performance.now();
    }
  };

  return {
    async send(request) {
      const started = performance.now();
      const target = checkTarget(request.url, options.allowPrivateTargets);
      const result =
        target instanceof URL
          ? await attempt(request, target)
          : { outcome: classifyError("blocked-target", target.refused) };
      return { ...result, latencyMs: performance.now() - started };
    },
    async close() {
      clearInterval(sweep);
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((entry) => entry.pool.close()));
    },
  };
};

/**
 * The URL to post to, or why it is refused before any connection: an IP literal the address policy blocks
 * (names are judged at connect time by the guarded connector).
 * Failure policy: a URL that does not parse, is not http(s) or carries credentials is never fetched either; it is
 * a permanent "blocked-target" (the admin API should have refused it), dead-lettered like any refused target.
 */
const checkTarget = (text: string, allowPrivateTargets: boolean): URL | { refused: string } => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { refused: "not a valid URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { refused: "not http(s)" };
  if (url.username !== "" || url.password !== "") return { refused: "credentials in URL" };
  const literalReason = allowPrivateTargets ? undefined : blockedHostLiteralReason(url.hostname);
  return literalReason === undefined ? url : { refused: `${literalReason}: ${url.hostname}` };
};
