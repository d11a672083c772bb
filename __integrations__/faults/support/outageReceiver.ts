import { type ReceivedRequest, startReceiver, type WebhookReceiver } from "../../agent/receiver";

/**
 * A webhook receiver that can go down (its listening socket closed, open connections dropped: the dispatcher gets
 * ECONNREFUSED) and come back on the same port, so the registered URL stays valid. Requests are kept across
 * both lives.
 */
export interface OutageReceiver {
  readonly name: string;
  readonly url: string;
  /** Every request, from every life of the receiver. */
  requests(): ReadonlyArray<ReceivedRequest>;
  /** Distinct webhook-ids answered with a 2xx. */
  delivered(): number;
  useSecrets(...secrets: ReadonlyArray<string>): void;
  goDown(): Promise<void>;
  comeBack(): Promise<void>;
  close(): Promise<void>;
}

export const startOutageReceiver = async (name: string): Promise<OutageReceiver> => {
  const options = { name, bindHost: "127.0.0.1", advertisedHost: "127.0.0.1" };
  let current: WebhookReceiver | undefined = await startReceiver(options);
  const url = current.url;
  const port = Number(new URL(url).port);
  const earlier: ReceivedRequest[] = [];
  let secrets: ReadonlyArray<string> = [];
  const requests = (): ReadonlyArray<ReceivedRequest> => [...earlier, ...(current?.requests ?? [])];
  return {
    name,
    url,
    requests,
    delivered: () =>
      new Set(
        requests()
          .filter((r) => r.status >= 200 && r.status < 300)
          .map((r) => r.webhookId),
      ).size,
    useSecrets: (...list) => {
      secrets = list;
      current?.useSecrets(...list);
    },
    async goDown() {
      if (current === undefined) return;
      const down = current;
      current = undefined;
      earlier.push(...down.requests);
      await down.close();
    },
    async comeBack() {
      if (current !== undefined) return;
      current = await startReceiver({ ...options, port });
      current.useSecrets(...secrets);
    },
    close: async () => {
      await current?.close();
    },
  };
};
