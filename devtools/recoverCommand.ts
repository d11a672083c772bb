import * as E from "fp-ts/Either";

import { Recovery } from "../src/functions/deliveryRecords/recovery";
import { IsoTime } from "../src/functions/deliveryRecords/recoveryApi";
import { adminTarget, call, CONNECTION, decodeOrFail, expectStatus } from "./adminApi";
import { type CliIo, CommandError, parseCommandArgs, UsageError } from "./cliArgs";
import { statusLine } from "./statusLine";

export const RECOVER_USAGE = `  dispatcher webhooks recover ID --since ISO_TIME [--json]
      re-delivers every dead letter of the webhook dead-lettered since then (same webhook-ids), in the
      background; prints how many there are and follows the recovery until it is done
      --since 2026-03-01T10:00:00Z  an ISO 8601 time with a zone, not in the future
      --json                        print the finished recovery's JSON instead of the summary`;

const RECOVER_OPTIONS = { ...CONNECTION, since: { type: "string" }, json: { type: "boolean" } } as const;

/** How often the recovery's state is read while it runs. */
const FOLLOW_INTERVAL_MS = 1000;

const progressText = (r: Recovery): string =>
  `recovery ${r.id}: ${r.state}, ${r.handedOver} of ${r.count} handed over (${r.found} found)`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `dispatcher webhooks recover ID --since ISO`: starts the recovery, prints its count, then reads its Location
 * until it is no longer running, with a progress line on stderr (rewritten in place on a terminal). Exits 1 when
 * the recovery failed.
 */
export const recoverWebhook = async (
  args: ReadonlyArray<string>,
  io: CliIo,
  secrets: string[],
  intervalMs = FOLLOW_INTERVAL_MS,
): Promise<void> => {
  const { options, positionals, help } = parseCommandArgs(args, RECOVER_OPTIONS, RECOVER_USAGE, 1);
  if (help) return io.out(RECOVER_USAGE + "\n");
  const id = positionals[0];
  if (id === undefined || id.trim() === "")
    throw new UsageError("webhooks recover needs the webhook ID", RECOVER_USAGE);
  if (options.since === undefined || E.isLeft(IsoTime.decode(options.since)))
    throw new UsageError(
      "webhooks recover needs --since with an ISO time (2026-03-01T10:00:00Z)",
      RECOVER_USAGE,
    );
  const since = options.since;
  const target = adminTarget(options, io, secrets);
  const started = await call(target, (client) =>
    client.post(`webhooks/${encodeURIComponent(id)}/recover`, { since }),
  );
  expectStatus(started, 202, target);
  let recovery = decodeOrFail(Recovery, started.data);
  const location = String(started.headers.location ?? "").replace(/^\/api\//, "");
  io.out(
    `recovering ${recovery.count} dead letters of ${id} since ${recovery.since} (recovery ${recovery.id})\n`,
  );
  const line = statusLine(io);
  const show = (r: Recovery) => line.show(progressText(r));
  while (recovery.state === "running") {
    show(recovery);
    await sleep(intervalMs);
    const response = await call(target, (client) => client.get(location));
    expectStatus(response, 200, target);
    recovery = decodeOrFail(Recovery, response.data);
  }
  show(recovery);
  line.end();
  if (options.json === true) io.out(JSON.stringify(recovery, null, 2) + "\n");
  else io.out(`${recovery.state}: ${recovery.handedOver} of ${recovery.count} dead letters handed over\n`);
  if (recovery.state === "failed")
    throw new CommandError(`the recovery failed: ${recovery.reason ?? "see its state"}`);
};
