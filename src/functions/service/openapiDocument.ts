import { INCOMING_EVENT_NAMES, PUBLIC_EVENT_NAMES } from "../../domain/events";
import { MAX_HEADERS, MAX_URL_LENGTH } from "../../domain/webhookInput";
import { VERSION } from "../../version";

/** The OpenAPI 3.1 description of every HTTP route. A test checks it against the registered routes. */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (schema: object) => ({ "application/json": { schema } });
const problemResponse = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ref("Problem") } },
});
const idParam = { name: "id", in: "path", required: true, schema: { type: "string" } };
const replayIdParam = { name: "replayId", in: "path", required: true, schema: { type: "string" } };
const subjectIdParam = {
  name: "subjectId",
  in: "path",
  required: true,
  description: "the opaque subject id from the subjects list",
  schema: { type: "string" },
};
const revealParam = {
  name: "reveal",
  in: "query",
  required: false,
  description: "`headers` shows header values, which are masked as *** otherwise (they may hold credentials)",
  schema: { type: "string", enum: ["headers"] },
};
const keyed = { security: [{ functionKey: [] }, { functionKeyQuery: [] }] };
const unauthorized = { "401": problemResponse("Missing or wrong function key") };

const webhookInput = {
  type: "object",
  additionalProperties: false,
  required: ["url", "subscriptions"],
  properties: {
    url: {
      type: "string",
      format: "uri",
      maxLength: MAX_URL_LENGTH,
      description: "https (http only when ALLOW_INSECURE_WEBHOOKS)",
    },
    subscriptions: {
      type: "array",
      minItems: 1,
      uniqueItems: true,
      items: { enum: [...PUBLIC_EVENT_NAMES] },
    },
    attributes: { type: "object", additionalProperties: { type: "string", minLength: 1 } },
    headers: { type: "object", maxProperties: MAX_HEADERS, additionalProperties: { type: "string" } },
    disabled: { type: "boolean", default: false },
    ordering: {
      enum: ["none", "per-subject"],
      default: "none",
      description:
        "per-subject: deliveries with a subject (the fiscal code of service:subscribed) arrive in stream order per subject, with webhook-sequence and webhook-previous-id headers; a failing delivery holds back only its own subject",
    },
    orderingOnFailure: {
      enum: ["continue", "block"],
      default: "continue",
      description:
        "per-subject only: when a delivery's retries run out, dead-letter it and go on (continue) or hold its subject until an operator skips or retries it (block)",
    },
  },
};

const webhook = {
  type: "object",
  required: [
    "id",
    "url",
    "subscriptions",
    "attributes",
    "headers",
    "disabled",
    "ordering",
    "orderingOnFailure",
    "createdAt",
    "updatedAt",
  ],
  properties: {
    id: { type: "string" },
    url: { type: "string" },
    subscriptions: { type: "array", items: { enum: [...PUBLIC_EVENT_NAMES] } },
    attributes: { type: "object", additionalProperties: { type: "string" } },
    headers: { type: "object", additionalProperties: { type: "string" } },
    disabled: { type: "boolean" },
    disabledReason: {
      type: "string",
      description: "sustained-failure, operator, or the receiver's 410 Gone",
    },
    stateChangedAt: {
      type: "string",
      format: "date-time",
      description: "when it was last disabled or enabled",
    },
    ordering: { enum: ["none", "per-subject"] },
    orderingOnFailure: { enum: ["continue", "block"] },
    createdAt: { type: "string", format: "date-time" },
    updatedAt: { type: "string", format: "date-time" },
    previousSecretValidUntil: { type: "string", format: "date-time" },
  },
};

const lastAttempt = {
  type: "object",
  required: ["at"],
  properties: {
    at: { type: "string", format: "date-time" },
    status: { type: "integer" },
    error: { type: "string", description: "the error kind when the receiver did not answer" },
  },
};
const healthCounts = {
  type: "object",
  required: ["deliveries", "failures"],
  properties: {
    deliveries: { type: "integer", description: "attempts" },
    failures: { type: "integer" },
    successRate: { type: "number", minimum: 0, maximum: 1, description: "absent without attempts" },
  },
};
const webhookHealth = {
  type: "object",
  required: ["webhookId", "state", "lastHour", "last24Hours", "consecutiveFailures"],
  properties: {
    webhookId: { type: "string" },
    state: { enum: ["active", "disabled"] },
    disabledReason: { type: "string" },
    stateChangedAt: { type: "string", format: "date-time" },
    lastHour: { ...healthCounts, description: "attempts in the 5-minute buckets overlapping the last hour" },
    last24Hours: {
      ...healthCounts,
      description: "attempts in the hourly buckets overlapping the last 24 hours",
    },
    consecutiveFailures: { type: "integer", description: "failed attempts since the last success" },
    lastSuccess: lastAttempt,
    lastFailure: lastAttempt,
    failingSince: { type: "string", format: "date-time", description: "first failure of the current streak" },
    autoDisableAt: {
      type: "string",
      format: "date-time",
      description:
        "while every attempt fails: when AUTO_DISABLE_AFTER disables it (on a failure at or after)",
    },
    updatedAt: { type: "string", format: "date-time" },
    heldSubjects: {
      type: "object",
      description:
        "per-subject webhooks, on GET /api/webhooks/{id}/health only: subjects whose head waits on its retry schedule, and those blocked until an operator acts",
      required: ["waiting", "blocked"],
      properties: { waiting: { type: "integer" }, blocked: { type: "integer" } },
    },
  },
};

export const openApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "Public Event Dispatcher admin API",
    version: VERSION,
    description: `Registers the webhooks IO core events are dispatched to. Incoming events: ${INCOMING_EVENT_NAMES.join(", ")}.`,
  },
  servers: [{ url: "/" }],
  components: {
    securitySchemes: {
      functionKey: { type: "apiKey", in: "header", name: "x-functions-key" },
      functionKeyQuery: { type: "apiKey", in: "query", name: "code" },
    },
    schemas: {
      WebhookInput: webhookInput,
      Webhook: webhook,
      WebhookHealth: webhookHealth,
      WebhookCreated: {
        allOf: [
          ref("Webhook"),
          {
            type: "object",
            required: ["secret"],
            properties: { secret: { type: "string", pattern: "^whsec_" } },
          },
        ],
      },
      SecretRotated: {
        type: "object",
        required: ["secret", "previousSecretValidUntil"],
        properties: {
          secret: { type: "string" },
          previousSecretValidUntil: { type: "string", format: "date-time" },
        },
      },
      DeliveryAttempt: {
        type: "object",
        required: ["webhookId", "deliveryId", "eventName", "attempt", "outcome", "latencyMs", "at"],
        properties: {
          webhookId: { type: "string" },
          deliveryId: { type: "string", description: "the webhook-id header of the delivery" },
          eventName: { type: "string" },
          attempt: { type: "integer", minimum: 1 },
          outcome: { enum: ["delivered", "retryable", "permanent"] },
          status: { type: "integer", description: "the receiver's HTTP status, when it answered" },
          error: {
            type: "string",
            description:
              "timeout, connection-refused, blocked-target, ... when it did not; a blocked target says why, as in blocked-target: loopback: 127.0.0.1",
          },
          answer: {
            type: "string",
            description:
              "the start (256 bytes) of the receiver's answer when its status was not 2xx, as it wrote it",
          },
          latencyMs: { type: "integer" },
          at: { type: "string", format: "date-time" },
          replayId: { type: "string", description: "the replay from the Event Hub this attempt belongs to" },
        },
      },
      Replay: {
        type: "object",
        required: [
          "id",
          "webhookId",
          "state",
          "from",
          "to",
          "events",
          "rate",
          "eventsRead",
          "deliveries",
          "partitions",
          "startedAt",
        ],
        properties: {
          id: { type: "string" },
          webhookId: { type: "string" },
          state: { enum: ["running", "completed", "failed", "cancelled"] },
          from: { type: "string", format: "date-time" },
          to: { type: "string", format: "date-time" },
          events: { type: "array", items: { type: "string" } },
          rate: { type: "integer", description: "events per second the replay reads at most" },
          eventsRead: { type: "integer", description: "events of the window read so far" },
          deliveries: {
            type: "object",
            required: ["planned", "delivered", "retried", "deadLettered", "dropped"],
            properties: {
              planned: { type: "integer" },
              delivered: { type: "integer" },
              retried: { type: "integer", description: "retry rounds' sends (failed attempts retried)" },
              deadLettered: { type: "integer" },
              dropped: { type: "integer", description: "webhook disabled or deleted meanwhile" },
            },
          },
          partitions: {
            type: "object",
            description: "per partition id: the last sequence number handed over, and whether it reached to",
            additionalProperties: {
              type: "object",
              required: ["finished"],
              properties: { finished: { type: "boolean" }, sequenceNumber: { type: "integer" } },
            },
          },
          startedAt: { type: "string", format: "date-time" },
          finishedAt: { type: "string", format: "date-time" },
          error: { type: "string" },
        },
      },
      DeadLetter: {
        type: "object",
        required: [
          "deliveryId",
          "webhookId",
          "eventId",
          "url",
          "body",
          "headers",
          "attempts",
          "reason",
          "firstAttemptAt",
          "deadLetteredAt",
        ],
        properties: {
          deliveryId: { type: "string" },
          webhookId: { type: "string" },
          eventId: { type: "string" },
          subject: { type: "string" },
          sequence: {
            type: "object",
            description: "an ordered delivery's place in its (webhook, subject) stream",
            required: ["n"],
            properties: {
              n: { type: "number", description: "its webhook-sequence" },
              subjectId: { type: "string", description: "the opaque id of its subject stream" },
              previousId: { type: "string", description: "its webhook-previous-id" },
              resend: { type: "boolean" },
            },
          },
          url: { type: "string" },
          body: { type: "string", description: "exactly the JSON body that was sent" },
          headers: {
            type: "object",
            additionalProperties: { type: "string" },
            description:
              "the webhook's own headers (masked unless ?reveal=headers); signatures are never stored",
          },
          attempts: { type: "integer" },
          lastStatus: { type: "integer" },
          lastError: { type: "string", description: "the last attempt's error, as in the delivery log" },
          reason: { type: "string" },
          firstAttemptAt: { type: "string", format: "date-time" },
          deadLetteredAt: { type: "string", format: "date-time" },
        },
      },
      Accepted: {
        type: "object",
        required: ["deliveryId", "instanceId"],
        properties: {
          deliveryId: { type: "string" },
          instanceId: { type: "string", description: "the dispatch orchestration" },
        },
      },
      Recovery: {
        type: "object",
        required: [
          "id",
          "webhookId",
          "state",
          "since",
          "startedAt",
          "count",
          "found",
          "handedOver",
          "updatedAt",
        ],
        properties: {
          id: { type: "string" },
          webhookId: { type: "string" },
          state: { enum: ["running", "completed", "failed"] },
          since: { type: "string", format: "date-time", description: "the window's start (inclusive)" },
          startedAt: {
            type: "string",
            format: "date-time",
            description:
              "when it was asked for: the window's end (exclusive); later dead letters are not in it",
          },
          count: { type: "number", description: "dead letters in the window when it was asked for" },
          found: { type: "number", description: "dead letters the recovery has met so far" },
          handedOver: {
            type: "number",
            description:
              "dead letters whose replay is started (same webhook-id) and whose dead letter is removed",
          },
          updatedAt: { type: "string", format: "date-time" },
          finishedAt: { type: "string", format: "date-time" },
          reason: { type: "string", description: "why it failed (the webhook was deleted or disabled, ...)" },
        },
      },
      Health: {
        type: "object",
        required: ["status", "version", "checks"],
        properties: {
          status: { enum: ["ok", "degraded"] },
          version: { type: "string" },
          checks: {
            type: "object",
            required: ["storage"],
            properties: { storage: { enum: ["ok", "unreachable"] } },
          },
          reason: {
            type: "string",
            description: "why degraded, e.g. `storage unreachable: connection-refused`",
          },
        },
      },
      Problem: {
        type: "object",
        required: ["type", "title", "status", "detail", "errors"],
        properties: {
          type: { type: "string" },
          title: { type: "string" },
          status: { type: "integer" },
          detail: { type: "string" },
          errors: {
            type: "array",
            items: {
              type: "object",
              required: ["path", "message"],
              properties: { path: { type: "string" }, message: { type: "string" } },
            },
          },
        },
      },
    },
  },
  paths: {
    "/api/health": {
      get: {
        operationId: "health",
        summary: "Liveness and storage reachability",
        description:
          "Anonymous. Storage is read at most once per 2 s (one request, 1 s timeout); requests meanwhile get the last answer.",
        responses: {
          "200": {
            description:
              "Up: `ok`, or `degraded` with a reason (a kind, never a value) while storage cannot be read",
            content: jsonContent(ref("Health")),
          },
        },
      },
    },
    "/api/openapi.json": {
      get: {
        operationId: "openapi",
        summary: "This document",
        responses: { "200": { description: "OpenAPI 3.1 document" } },
      },
    },
    "/api/webhooks": {
      post: {
        operationId: "webhooks-create",
        summary: "Register a webhook; the response is the only one that shows its signing secret",
        ...keyed,
        parameters: [revealParam],
        requestBody: { required: true, content: jsonContent(ref("WebhookInput")) },
        responses: {
          "201": {
            description: "Created",
            headers: { ETag: { schema: { type: "string" } } },
            content: jsonContent(ref("WebhookCreated")),
          },
          "400": problemResponse("Invalid body; errors list each field path"),
          "413": problemResponse("Body larger than 64 KB"),
          ...unauthorized,
        },
      },
      get: {
        operationId: "webhooks-list",
        summary: "List webhooks",
        ...keyed,
        parameters: [
          revealParam,
          {
            name: "include",
            in: "query",
            required: false,
            description: "`health` adds each webhook's health summary (one more table query)",
            schema: { type: "string", enum: ["health"] },
          },
        ],
        responses: {
          "200": {
            description: "All webhooks",
            content: jsonContent({
              type: "object",
              properties: {
                items: {
                  type: "array",
                  items: {
                    allOf: [ref("Webhook"), { type: "object", properties: { health: ref("WebhookHealth") } }],
                  },
                },
              },
            }),
          },
          "400": problemResponse("Invalid include"),
          ...unauthorized,
        },
      },
    },
    "/api/webhooks/{id}": {
      get: {
        operationId: "webhooks-get",
        summary: "Read a webhook",
        ...keyed,
        parameters: [idParam, revealParam],
        responses: {
          "200": { description: "The webhook", content: jsonContent(ref("Webhook")) },
          "404": problemResponse("No such webhook"),
          ...unauthorized,
        },
      },
      put: {
        operationId: "webhooks-replace",
        summary: "Replace a webhook (secrets are kept); honours If-Match",
        ...keyed,
        parameters: [
          idParam,
          revealParam,
          { name: "If-Match", in: "header", required: false, schema: { type: "string" } },
        ],
        requestBody: { required: true, content: jsonContent(ref("WebhookInput")) },
        responses: {
          "200": { description: "Replaced", content: jsonContent(ref("Webhook")) },
          "400": problemResponse("Invalid body"),
          "404": problemResponse("No such webhook"),
          "412": problemResponse("If-Match does not match the current ETag"),
          ...unauthorized,
        },
      },
      delete: {
        operationId: "webhooks-delete",
        summary: "Delete a webhook",
        ...keyed,
        parameters: [idParam],
        responses: {
          "204": { description: "Deleted" },
          "404": problemResponse("No such webhook"),
          ...unauthorized,
        },
      },
    },
    "/api/webhooks/{id}/health": {
      get: {
        operationId: "webhooks-health",
        summary:
          "Endpoint health: state, attempts and failures (1 h, 24 h), last success and failure, streak",
        ...keyed,
        parameters: [idParam],
        responses: {
          "200": { description: "The webhook's health", content: jsonContent(ref("WebhookHealth")) },
          "404": problemResponse("No such webhook"),
          ...unauthorized,
        },
      },
    },
    "/api/webhooks/{id}/rotate-secret": {
      post: {
        operationId: "webhooks-rotate-secret",
        summary:
          "Issue a new signing secret; the previous one keeps signing for SECRET_ROTATION_GRACE_SECONDS",
        ...keyed,
        parameters: [idParam],
        responses: {
          "200": { description: "The new secret", content: jsonContent(ref("SecretRotated")) },
          "404": problemResponse("No such webhook"),
          ...unauthorized,
        },
      },
    },
    "/api/webhooks/{id}/deliveries": {
      get: {
        operationId: "webhooks-deliveries",
        summary: "The delivery log of a webhook, newest first",
        ...keyed,
        parameters: [
          idParam,
          {
            name: "limit",
            in: "query",
            required: false,
            schema: { type: "integer", minimum: 1, maximum: 1000 },
          },
        ],
        responses: {
          "200": {
            description: "Attempts",
            content: jsonContent({
              type: "object",
              properties: { items: { type: "array", items: ref("DeliveryAttempt") } },
            }),
          },
          "400": problemResponse("Invalid limit"),
          "404": problemResponse("No such webhook"),
          ...unauthorized,
        },
      },
    },
    "/api/webhooks/{id}/ping": {
      post: {
        operationId: "webhooks-ping",
        summary: "Send a ping {name: the webhook's name attribute, or its id} through the dispatch pipeline",
        ...keyed,
        parameters: [idParam],
        responses: {
          "202": { description: "Dispatch started", content: jsonContent(ref("Accepted")) },
          "404": problemResponse("No such webhook"),
          "409": problemResponse("The webhook is disabled"),
          ...unauthorized,
        },
      },
    },
    "/api/webhooks/{id}/replays": {
      post: {
        operationId: "webhooks-replays-start",
        summary:
          "Replay the Event Hub's events of a time window to this webhook only, with its current subscriptions and attributes and the webhook-ids live delivery gives",
        ...keyed,
        parameters: [idParam],
        requestBody: {
          required: true,
          content: jsonContent({
            type: "object",
            required: ["from"],
            properties: {
              from: { type: "string", format: "date-time", description: "within the hub's retention" },
              to: { type: "string", format: "date-time", description: "default: now; not in the future" },
              events: {
                type: "array",
                items: { enum: ["ping", "service:subscribed"] },
                description: "default: the webhook's subscriptions",
              },
              rate: { type: "integer", minimum: 1, maximum: 5000, description: "events/s, default 200" },
            },
          }),
        },
        responses: {
          "202": {
            description: "Replay started; Location names it",
            headers: { location: { schema: { type: "string" } } },
            content: jsonContent(ref("Replay")),
          },
          "400": problemResponse(
            "Invalid request (the errors name the field; /from says the oldest time available)",
          ),
          "404": problemResponse("No such webhook"),
          "409": problemResponse("The webhook is disabled"),
          ...unauthorized,
        },
      },
      get: {
        operationId: "webhooks-replays-list",
        summary: "The webhook's replays, newest first (started time)",
        ...keyed,
        parameters: [
          idParam,
          {
            name: "limit",
            in: "query",
            required: false,
            description: "default 20",
            schema: { type: "integer", minimum: 1, maximum: 100 },
          },
        ],
        responses: {
          "200": {
            description: "Replays",
            content: jsonContent({
              type: "object",
              properties: { items: { type: "array", items: ref("Replay") } },
            }),
          },
          "400": problemResponse("Invalid limit"),
          "404": problemResponse("No such webhook"),
          ...unauthorized,
        },
      },
    },
    "/api/webhooks/{id}/replays/{replayId}": {
      get: {
        operationId: "webhooks-replays-get",
        summary: "A replay's state, window, counts and position per partition",
        ...keyed,
        parameters: [idParam, replayIdParam],
        responses: {
          "200": { description: "The replay", content: jsonContent(ref("Replay")) },
          "404": problemResponse("No such webhook or replay"),
          ...unauthorized,
        },
      },
      delete: {
        operationId: "webhooks-replays-cancel",
        summary: "Cancel a running replay (it stops at its next step; the page in flight is still delivered)",
        ...keyed,
        parameters: [idParam, replayIdParam],
        responses: {
          "200": { description: "Cancelled", content: jsonContent(ref("Replay")) },
          "404": problemResponse("No such webhook or replay"),
          "409": problemResponse("The replay is no longer running"),
          ...unauthorized,
        },
      },
    },
    "/api/webhooks/{id}/recover": {
      post: {
        operationId: "webhooks-recover",
        summary:
          "Deliver again, in the background, every dead letter of the webhook dead-lettered since a time (same webhook-ids)",
        ...keyed,
        parameters: [idParam],
        requestBody: {
          required: true,
          content: jsonContent({
            type: "object",
            required: ["since"],
            properties: {
              since: {
                type: "string",
                format: "date-time",
                description: "an ISO 8601 time with a zone, not in the future",
              },
            },
          }),
        },
        responses: {
          "202": {
            description:
              "Recovery started; `count` is how many dead letters the window held; follow the Location. Each dead letter is removed once its replay is started",
            headers: { Location: { schema: { type: "string" }, description: "the recovery" } },
            content: jsonContent(ref("Recovery")),
          },
          "400": problemResponse("since is missing, not an ISO time or in the future"),
          "404": problemResponse("No such webhook"),
          "409": problemResponse("The webhook is disabled"),
          ...unauthorized,
        },
      },
    },
    "/api/webhooks/{id}/recoveries/{recoveryId}": {
      get: {
        operationId: "webhooks-recoveries-get",
        summary: "A recovery's state and progress",
        ...keyed,
        parameters: [idParam, { name: "recoveryId", in: "path", required: true, schema: { type: "string" } }],
        responses: {
          "200": { description: "The recovery", content: jsonContent(ref("Recovery")) },
          "404": problemResponse("No such recovery of this webhook (or its history was purged)"),
          ...unauthorized,
        },
      },
    },
    "/api/webhooks/{id}/subjects": {
      get: {
        operationId: "webhooks-subjects",
        summary:
          "Held subjects of a per-subject webhook: waiting (the head waits on its retry schedule) or blocked (its retries ran out under orderingOnFailure block)",
        ...keyed,
        parameters: [
          idParam,
          { name: "state", in: "query", required: false, schema: { enum: ["waiting", "blocked"] } },
        ],
        responses: {
          "200": {
            description: "Held subjects (opaque subject ids, never the subject itself)",
            content: jsonContent({
              type: "object",
              required: ["items"],
              properties: {
                items: {
                  type: "array",
                  items: {
                    type: "object",
                    required: ["subjectId", "state", "settledSeq"],
                    properties: {
                      subjectId: { type: "string" },
                      state: { enum: ["waiting", "blocked"] },
                      settledSeq: {
                        type: "integer",
                        description: "every webhook-sequence up to this is settled",
                      },
                      headDeliveryId: { type: "string" },
                      headSequence: { type: "integer" },
                      attempts: { type: "integer" },
                      nextAttemptAt: { type: "string", format: "date-time" },
                      since: { type: "string", format: "date-time" },
                      lastStatus: { type: "integer" },
                      lastError: { type: "string" },
                    },
                  },
                },
              },
            }),
          },
          "400": problemResponse("Invalid state"),
          "404": problemResponse("No such webhook"),
          ...unauthorized,
        },
      },
    },
    "/api/webhooks/{id}/subjects/{subjectId}/skip": {
      post: {
        operationId: "webhooks-subjects-skip",
        summary:
          "Dead-letter the held head of a subject and go on with the next delivery (blocked: the head already is a dead letter)",
        ...keyed,
        parameters: [idParam, subjectIdParam],
        responses: {
          "200": { description: "Blocked subject moved past its head" },
          "202": { description: "The orchestration holding the head was asked to skip it" },
          "404": problemResponse("No such webhook or subject"),
          "409": problemResponse("Nothing is held, or the holder is gone"),
          ...unauthorized,
        },
      },
    },
    "/api/webhooks/{id}/subjects/{subjectId}/retry-now": {
      post: {
        operationId: "webhooks-subjects-retry-now",
        summary:
          "Send the held head of a subject now (waiting: skip its retry wait; blocked: replay its dead letter)",
        ...keyed,
        parameters: [idParam, subjectIdParam],
        responses: {
          "202": { description: "Sent again", content: jsonContent(ref("Accepted")) },
          "404": problemResponse("No such webhook or subject"),
          "409": problemResponse("Nothing is held, or the holder is gone"),
          ...unauthorized,
        },
      },
    },
    "/api/rejected-events": {
      get: {
        operationId: "rejected-events-list",
        summary:
          "Incoming events that did not decode: hub position and reasons (field paths); raw body only with ?reveal=raw",
        ...keyed,
        parameters: [
          { name: "partitionId", in: "query", required: false, schema: { type: "string" } },
          {
            name: "limit",
            in: "query",
            required: false,
            schema: { type: "integer", minimum: 1, maximum: 1000 },
          },
          { name: "reveal", in: "query", required: false, schema: { type: "string", enum: ["raw"] } },
        ],
        responses: {
          "200": {
            description: "Rejected events",
            content: jsonContent({
              type: "object",
              properties: {
                items: {
                  type: "array",
                  items: {
                    type: "object",
                    required: ["hub", "partitionId", "sequenceNumber", "reasons"],
                    properties: {
                      hub: { type: "string" },
                      partitionId: { type: "string" },
                      sequenceNumber: { type: "integer" },
                      enqueuedTime: { type: "string", format: "date-time" },
                      reasons: { type: "array", items: { type: "string" } },
                      raw: {
                        type: "string",
                        description: "the body as received, capped at 32 KB (only with ?reveal=raw)",
                      },
                    },
                  },
                },
              },
            }),
          },
          "400": problemResponse("Invalid limit"),
          ...unauthorized,
        },
      },
    },
    "/api/dead-letters": {
      get: {
        operationId: "dead-letters-list",
        summary: "Deliveries given up on",
        ...keyed,
        parameters: [
          { name: "webhookId", in: "query", required: false, schema: { type: "string" } },
          {
            name: "limit",
            in: "query",
            required: false,
            schema: { type: "integer", minimum: 1, maximum: 1000 },
          },
          revealParam,
        ],
        responses: {
          "200": {
            description: "Dead letters",
            content: jsonContent({
              type: "object",
              properties: { items: { type: "array", items: ref("DeadLetter") } },
            }),
          },
          "400": problemResponse("Invalid limit"),
          ...unauthorized,
        },
      },
    },
    "/api/dead-letters/{id}": {
      delete: {
        operationId: "dead-letters-delete",
        summary: "Discard a dead letter",
        ...keyed,
        parameters: [idParam],
        responses: {
          "204": { description: "Deleted" },
          "404": problemResponse("No such dead letter"),
          ...unauthorized,
        },
      },
    },
    "/api/dead-letters/{id}/replay": {
      post: {
        operationId: "dead-letters-replay",
        summary: "Deliver a dead letter again, with the same delivery id (webhook-id)",
        ...keyed,
        parameters: [idParam],
        responses: {
          "202": {
            description:
              "Replay started (a repeated request starts nothing new); the dead letter is removed (and comes back if the replay fails too)",
            content: jsonContent(ref("Accepted")),
          },
          "404": problemResponse("No such dead letter"),
          "409": problemResponse("The webhook was deleted or is disabled"),
          ...unauthorized,
        },
      },
    },
  },
} as const;
