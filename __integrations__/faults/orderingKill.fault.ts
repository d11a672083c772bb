import { startReceiver, type WebhookReceiver } from "../agent/receiver";
import { type Reply, type RequestSeen } from "../agent/responses";
import { waitFor } from "../agent/waitFor";
import { publishMany } from "./support/bulkPublish";
import { type FaultStack, startFaultStack } from "./support/faultStack";

// SIGKILL mid-way with a per-subject webhook: 20 subjects x 50 events on one partition, one subject's 3rd
// delivery failing for 2 s (a head waiting on its retry schedule). After the restart every subject's deliveries
// arrive as 1..50 in order with no gap, and a delivery is sent again only as its subject's in-flight head (the
// same webhook-id and sequence, right after itself).

const SUBJECTS = 20;
const PER_SUBJECT = 50;
const EXPECTED = SUBJECTS * PER_SUBJECT;
const fiscalCode = (i: number): string => `SUBJCT00A00A${String(i).padStart(3, "0")}Z`;

interface Seen {
  readonly fiscalCode: string;
  readonly n: number;
  readonly id: string;
  readonly previousId?: string;
  readonly status: number;
}

describe("a runtime killed (SIGKILL) while delivering to a per-subject webhook, restarted on the same data", () => {
  let stack: FaultStack | undefined;
  let receiver: WebhookReceiver | undefined;

  afterAll(async () => {
    await stack?.close();
    await receiver?.close();
  });

  it(`keeps every subject in order and gapless across the kill (${EXPECTED} deliveries)`, async () => {
    stack = await startFaultStack({
      persistent: true,
      env: {
        RETRY_SCHEDULE: "0,1s,1s,2s,5s,5s,5s,5s",
        ...(process.env.DEBUG_ORDERING === undefined ? {} : { LOG_LEVEL: "information" }),
      },
    });
    let failingSince: number | undefined;
    const responder = (_attempt: number, request: RequestSeen): Reply => {
      const { payload } = JSON.parse(request.body) as { payload: { fiscalCode: string } };
      if (payload.fiscalCode === fiscalCode(0) && request.headers["webhook-sequence"] === "3") {
        failingSince ??= Date.now();
        if (Date.now() - failingSince < 2000) return { status: 503 };
      }
      return { status: 200 };
    };
    receiver = await startReceiver({
      name: "ordered-kill",
      bindHost: "127.0.0.1",
      advertisedHost: "127.0.0.1",
      responder,
      delayMs: 2,
    });
    const webhook = await stack.admin.register({
      url: receiver.url,
      subscriptions: ["service:subscribed"],
      attributes: { serviceId: "orderedKill01" },
      ordering: "per-subject",
    });
    receiver.useSecrets(webhook.secret);
    const bodies = Array.from({ length: PER_SUBJECT }, () =>
      Array.from({ length: SUBJECTS }, (_, s) => ({
        name: "service:subscribed",
        payload: { serviceId: "orderedKill01", fiscalCode: fiscalCode(s) },
      })),
    ).flat();
    await publishMany(stack.runtime.info, bodies, { partitionId: "0" });
    const r = receiver;
    const delivered = (): number => r.delivered();
    const faultStack = stack;
    // DEBUG_ORDERING: on a timeout, print the held subjects, the unfinished orchestrations and the runtime's log.
    const explained = async <T>(wait: Promise<T>): Promise<T> =>
      wait.catch(async (error: unknown) => {
        if (process.env.DEBUG_ORDERING !== undefined) {
          console.log(JSON.stringify(await faultStack.admin.subjects(webhook.id)));
          const origin = new URL(faultStack.runtime.info.adminUrl).origin;
          const durable = `${origin}/runtime/webhooks/durabletask/instances`;
          const unfinished = (await (await fetch(`${durable}?runtimeStatus=Running,Pending`)).json()) as {
            instanceId: string;
            customStatus?: unknown;
            lastUpdatedTime?: string;
          }[];
          console.log(
            `now ${new Date().toISOString()}\n` +
              unfinished
                .map((i) => `${i.instanceId} ${i.lastUpdatedTime} ${JSON.stringify(i.customStatus)}`)
                .join("\n"),
          );
          for (const instance of unfinished) {
            const one = await fetch(`${durable}/${encodeURIComponent(instance.instanceId)}?showHistory=true`);
            const { historyEvents = [] } = (await one.json()) as {
              historyEvents?: {
                EventType: string;
                Timestamp?: string;
                FireAt?: string;
                FunctionName?: string;
              }[];
            };
            console.log(
              instance.instanceId +
                "\n" +
                historyEvents
                  .slice(-12)
                  .map(
                    (e) => `  ${e.EventType} ${e.FunctionName ?? ""} ${e.Timestamp ?? ""} ${e.FireAt ?? ""}`,
                  )
                  .join("\n"),
            );
          }
          console.log(faultStack.runtime.stderr().slice(-8000) + faultStack.runtime.stdout().slice(-8000));
        }
        throw error;
      });
    await explained(
      waitFor(() => delivered() >= EXPECTED / 4, {
        timeoutMs: Number(process.env.DEBUG_ORDERING_TIMEOUT ?? 60_000),
        intervalMs: 5,
        what: "a quarter of the deliveries before the kill",
        detail: () => `${delivered()} delivered so far`,
      }),
    );
    await stack.runtime.kill();
    const beforeKill = delivered();
    expect(beforeKill).toBeLessThan(EXPECTED);
    await stack.restart();
    await explained(
      waitFor(() => delivered() >= EXPECTED, {
        timeoutMs: Number(process.env.DEBUG_ORDERING_TIMEOUT ?? 180_000),
        intervalMs: 50,
        what: `all ${EXPECTED} deliveries after the restart`,
        detail: () => `${delivered()} delivered so far`,
      }),
    );

    const seen: Seen[] = r.requests.map((q) => {
      const { payload } = JSON.parse(q.body) as { payload: { fiscalCode: string } };
      const previousId = q.headers["webhook-previous-id"];
      return {
        fiscalCode: payload.fiscalCode,
        n: Number(q.headers["webhook-sequence"]),
        id: q.webhookId,
        ...(previousId === undefined ? {} : { previousId }),
        status: q.status,
      };
    });
    let resent = 0;
    for (let s = 0; s < SUBJECTS; s++) {
      const requests = seen.filter((q) => q.fiscalCode === fiscalCode(s));
      // Every request of the subject in order; a repeat only of the request just before it (the head again).
      requests.forEach((q, i) => {
        const before = requests[i - 1];
        if (before === undefined) expect(q.n).toBe(1);
        else if (q.n === before.n) {
          expect(q.id).toBe(before.id);
          resent++;
        } else expect(q.n).toBe(before.n + 1);
      });
      // A head re-sent after the kill may arrive twice with a 2xx (it was in flight): the same id, adjacent.
      const ok = requests.filter(
        (q, i) =>
          q.status === 200 && !(i > 0 && requests[i - 1]?.id === q.id && requests[i - 1]?.status === 200),
      );
      expect(ok.map((q) => q.n)).toEqual(Array.from({ length: PER_SUBJECT }, (_, i) => i + 1));
      ok.forEach((q, i) => expect(q.previousId).toBe(i === 0 ? undefined : ok[i - 1]?.id));
    }
    expect(r.requests.every((q) => q.signatureValid)).toBe(true);
    console.log(
      `ordering kill: ${EXPECTED} delivered in order, ${beforeKill} before the kill, ${resent} requests repeated a head (retries included)`,
    );
  }, 300_000);
});
