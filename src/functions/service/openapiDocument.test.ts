import type * as t from "io-ts";

import { DeadLetter } from "../../adapters/tables/deadLetters";
import { DeliveryAttempt } from "../../adapters/tables/deliveryLog";
import { ReplayView } from "../../domain/replay";
import { WebhookSettings } from "../../domain/webhook";
import { WebhookInputBody } from "../../domain/webhookInput";
import { type SchemaDocument } from "../../test-support/jsonSchema";
import { shapeOfCodec, shapeOfSchema } from "../../test-support/schemaShapes";
import { Accepted } from "../deliveryRecords/deliveryRecordsApi";
import { Recovery } from "../deliveryRecords/recovery";
import { Problem } from "../http/problem";
import { WebhookHealth } from "../webhooks/healthView";
import { SecretRotated, WebhookCreated, WebhookView } from "../webhooks/webhookView";
import { Health } from "./health";
import { openApiDocument } from "./openapiDocument";

const doc: SchemaDocument = openApiDocument;
const schemaShape = (name: string) => shapeOfSchema(doc, { $ref: `#/components/schemas/${name}` });

/** Every component schema and the codec of what it describes. */
const MIRRORS: ReadonlyArray<readonly [string, t.Mixed]> = [
  ["Webhook", WebhookView],
  ["WebhookHealth", WebhookHealth],
  ["WebhookCreated", WebhookCreated],
  ["SecretRotated", SecretRotated],
  ["DeliveryAttempt", DeliveryAttempt],
  ["DeadLetter", DeadLetter],
  ["Accepted", Accepted],
  ["Recovery", Recovery],
  ["Problem", Problem],
  ["Health", Health],
  ["Replay", ReplayView],
];

describe("OpenAPI component schemas agree with the codecs", () => {
  it("has a codec for every component schema", () => {
    expect(Object.keys(doc.components.schemas).sort()).toEqual(
      [...MIRRORS.map(([name]) => name), "WebhookInput"].sort(),
    );
  });

  it.each(MIRRORS)("%s: same properties, required ones, types and enums as its codec", (name, codec) => {
    expect(schemaShape(name)).toEqual(shapeOfCodec(codec));
  });

  it("WebhookInput: the body's properties and required ones, and the types they are validated to", () => {
    const body = shapeOfCodec(WebhookInputBody);
    const validated = shapeOfCodec(WebhookSettings);
    if (typeof body !== "object" || !("properties" in body)) throw new Error("not an object codec");
    if (typeof validated !== "object" || !("properties" in validated)) throw new Error("not an object codec");
    expect(Object.keys(body.properties).sort()).toEqual(Object.keys(validated.properties).sort());
    expect(schemaShape("WebhookInput")).toEqual({
      required: body.required,
      properties: validated.properties,
    });
  });
});
