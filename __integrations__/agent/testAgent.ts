import { randomUUID } from "node:crypto";

import { type AdminClient, adminClient, type RegisteredWebhook, type WebhookInput } from "./adminClient";
import { makeProducer, type Producer } from "./producer";
import { startReceiver, type WebhookReceiver } from "./receiver";
import { type Responder } from "./responses";
import { type Target, targetFromEnv } from "./target";
import { waitFor } from "./waitFor";

/** A receiver with the webhook registered for it. */
export interface Subscriber {
  readonly receiver: WebhookReceiver;
  readonly webhook: RegisteredWebhook;
}

export interface OriginalWebhooks {
  readonly wh1: Subscriber;
  readonly wh2: Subscriber;
  readonly wh3: Subscriber;
}

/** The original IO dispatcher suite's service ids. */
export const MAPPED_SERVICE_ID = "aServiceId12345";
export const OTHER_SERVICE_ID = "aServiceId09876";
/** A valid-pattern fiscal code that belongs to nobody. */
export const FISCAL_CODE = "AAAAAA00A00A000A";

/**
 * The test agent: event producer (Event Hub) and webhook consumer (receivers), plus the admin client. It keeps
 * track of what it started and registered, and `cleanup()` deletes and closes all of it.
 */
export class TestAgent {
  readonly target: Target;
  readonly admin: AdminClient;
  readonly producer: Producer;
  private readonly receivers: WebhookReceiver[] = [];
  private readonly webhookIds: string[] = [];

  constructor(target: Target = targetFromEnv()) {
    this.target = target;
    this.admin = adminClient(target.adminUrl, target.adminKey);
    this.producer = makeProducer(target.eventHubConnection, target.eventHubName);
  }

  async receiver(name: string, responder?: Responder): Promise<WebhookReceiver> {
    const receiver = await startReceiver({
      name,
      bindHost: this.target.receiverBindHost,
      advertisedHost: this.target.receiverHost,
      ...(responder === undefined ? {} : { responder }),
    });
    this.receivers.push(receiver);
    return receiver;
  }

  /** Registers a webhook pointing at `receiver` and teaches the receiver its secret. */
  async subscribe(receiver: WebhookReceiver, input: Omit<WebhookInput, "url">): Promise<Subscriber> {
    const webhook = await this.admin.register({ ...input, url: receiver.url });
    this.webhookIds.push(webhook.id);
    receiver.useSecrets(webhook.secret);
    return { receiver, webhook };
  }

  /** wh1 {name: wh1} on ping; wh2 {name: wh2, serviceId: 12345} on ping and service:subscribed; wh3 {serviceId: 09876}. */
  async originalWebhooks(): Promise<OriginalWebhooks> {
    const wh1 = await this.subscribe(await this.receiver("wh1"), {
      subscriptions: ["ping"],
      attributes: { name: "wh1" },
    });
    const wh2 = await this.subscribe(await this.receiver("wh2"), {
      subscriptions: ["ping", "service:subscribed"],
      attributes: { name: "wh2", serviceId: MAPPED_SERVICE_ID },
    });
    const wh3 = await this.subscribe(await this.receiver("wh3"), {
      subscriptions: ["service:subscribed"],
      attributes: { serviceId: OTHER_SERVICE_ID },
    });
    return { wh1, wh2, wh3 };
  }

  /**
   * Publishes `bodies` followed by a ping for a sentinel webhook, in one batch on one partition, and waits until
   * the sentinel is delivered: by then the batch's orchestration has planned (and started) every delivery, so
   * an absence asserted afterwards (with `holdsFor`) means something.
   */
  async publishWithSentinel(bodies: ReadonlyArray<unknown>): Promise<void> {
    const name = `sentinel-${randomUUID()}`;
    const sentinel = await this.subscribe(await this.receiver(name), {
      subscriptions: ["ping"],
      attributes: { name },
    });
    await this.producer.publish([...bodies, { name: "ping", payload: { name } }]);
    await waitFor(() => sentinel.receiver.delivered() >= 1, { what: "the sentinel delivery" });
  }

  /** Deletes every webhook this agent registered and closes its receivers (also after failures). */
  async cleanup(): Promise<void> {
    const ids = this.webhookIds.splice(0);
    await Promise.all(ids.map((id) => this.admin.remove(id)));
    const receivers = this.receivers.splice(0);
    await Promise.all(receivers.map((r) => r.close()));
  }

  async close(): Promise<void> {
    await this.cleanup();
    await this.producer.close();
  }
}
