import { type DeadLetterStore, type StoredDeadLetter } from "../../adapters/tables/deadLetters";
import { type WebhookStore } from "../../adapters/tables/webhookStore";
import { type DispatchSettings } from "../../domain/dispatch";
import { inPool } from "../../domain/pool";
import { type OrchestrationStarter } from "../dispatch/orchestrationStarter";
import { handOverDeadLetter } from "./deliveryRecordsApi";
import { type PageRequest, type PageResult } from "./recovery";

export interface RecoverPageDeps {
  readonly webhooks: Pick<WebhookStore, "get">;
  readonly deadLetters: DeadLetterStore;
  readonly settings: () => DispatchSettings;
  /** Dead letters read per page (memory stays bounded by it however many the webhook has). */
  readonly pageSize: number;
  /** Hand-overs in flight at once within a page. */
  readonly concurrency: number;
}

/**
 * One page of a recovery: reads up to `pageSize` dead letters of the window after the previous page and hands
 * each over as the dead-letter replay does (handOverDeadLetter: the replay instance started, then the row removed).
 * Failure policy: the webhook is read once per page; deleted or disabled, nothing of the page is sent and the
 * recovery stops (`stopped`), its dead letters kept. A page that fails part-way throws and is run again: what it
 * handed over is gone or is started already (started again: nothing; removed: yes), so nothing is sent twice and
 * nothing is lost.
 */
export const makeRecoverPageActivity =
  (deps: RecoverPageDeps) =>
  async (request: PageRequest, starter: OrchestrationStarter): Promise<PageResult> => {
    const stored = await deps.webhooks.get(request.webhookId);
    if (stored === undefined) return { found: 0, handedOver: 0, stopped: "the webhook was deleted" };
    if (stored.webhook.disabled) return { found: 0, handedOver: 0, stopped: "the webhook is disabled" };
    const page = await deps.deadLetters.page(
      { webhookId: request.webhookId, from: request.since, until: request.until },
      deps.pageSize,
      request.after,
    );
    let handedOver = 0;
    await inPool(page.items, deps.concurrency, async (letter: StoredDeadLetter) => {
      await handOverDeadLetter(deps, letter, starter);
      handedOver++;
    });
    return { found: page.items.length, handedOver, ...(page.next === undefined ? {} : { next: page.next }) };
  };
