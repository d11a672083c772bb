import * as E from "fp-ts/Either";

import { fieldErrorsOf } from "../src/domain/fieldErrors";
import { ReplayRequest } from "../src/domain/replay";
import { ReplayView } from "../src/domain/replay";
import { adminTarget, call, CONNECTION, decodeOrFail, expectStatus } from "./adminApi";
import { type CliIo, CommandError, parseCommandArgs, runCommand, UsageError } from "./cliArgs";
import { partitionsText, progressLine } from "./replayProgress";
import { type AdminTarget, displayUrl, redactSecrets } from "./runtimeInfo";

export const REPLAY_USAGE = `Usage: dispatcher replay WEBHOOK_ID --from ISO_TIME [--to ISO_TIME] [--events a,b] [--rate N] [--no-follow]
  Replays the Event Hub's events enqueued in the window to this webhook only (with the webhook-ids live delivery
  gave), then follows the replay with a progress line on stderr until it is completed, failed or cancelled.
  --from 2026-03-01T10:00:00Z  start of the window (an ISO 8601 time, within the hub's retention)
  --to ISO_TIME                end of the window (default: now)
  --events ping,...            only these of the webhook's subscriptions (default: all of them)
  --rate N                     events per second, 1-5000 (default 200)
  --no-follow                  print the replay's id and Location and exit
  dispatcher replay WEBHOOK_ID --follow REPLAY_ID   follows a replay already started
  dispatcher replay WEBHOOK_ID --cancel REPLAY_ID   cancels a running replay (it stops at its next step)
  --admin-url URL (else DISPATCHER_ADMIN_URL, else runtime.json), --key KEY (else ADMIN_KEY, else runtime.json)
  Exit code 0 when the replay completed, 1 when it failed, was cancelled or the API refused it, 2 for a wrong
  command line, 130 when Ctrl+C stopped following (the replay keeps running).`;

const REPLAY_OPTIONS = {
  ...CONNECTION,
  from: { type: "string" },
  to: { type: "string" },
  events: { type: "string" },
  rate: { type: "string" },
  "no-follow": { type: "boolean" },
  follow: { type: "string" },
  cancel: { type: "string" },
} as const;

/** How often a running replay's state is read. */
const FOLLOW_INTERVAL_MS = 500;
/** The exit code of a command stopped by SIGINT (128 + 2), as shells report it. */
const INTERRUPTED = 130;

export interface ReplayCommandOptions {
  readonly intervalMs?: number;
  /** Aborted on Ctrl+C: following stops, the replay keeps running. */
  readonly interrupt?: AbortSignal;
}

/** The request body from the flags, checked with the API's own codec; errors name the flag, never a value. */
const requestBody = (options: {
  from?: string;
  to?: string;
  events?: string;
  rate?: string;
}): ReplayRequest => {
  if (options.from === undefined)
    throw new UsageError("replay needs --from with an ISO time (2026-03-01T10:00:00Z)", REPLAY_USAGE);
  const body = {
    from: options.from,
    ...(options.to === undefined ? {} : { to: options.to }),
    ...(options.events === undefined
      ? {}
      : {
          events: options.events
            .split(",")
            .map((e) => e.trim())
            .filter((e) => e !== ""),
        }),
    ...(options.rate === undefined ? {} : { rate: Number(options.rate) }),
  };
  const decoded = ReplayRequest.decode(body);
  if (E.isLeft(decoded)) {
    const errors = fieldErrorsOf(decoded.left).map(
      (e) => `--${e.path.replace(/^\//, "").replace(/\/(\d+)$/, " (item $1)")}: ${e.message}`,
    );
    throw new UsageError(errors.join("\n  "), REPLAY_USAGE);
  }
  // The flags as given (the codec normalises times): the API checks the window against the hub's retention.
  return body as ReplayRequest;
};

const replayPath = (webhookId: string, replayId: string): string =>
  `webhooks/${encodeURIComponent(webhookId)}/replays/${encodeURIComponent(replayId)}`;

/** Resolves true when the interval passed, false when interrupted first. */
const wait = (ms: number, interrupt: AbortSignal | undefined): Promise<boolean> =>
  new Promise((resolve) => {
    if (interrupt?.aborted === true) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      interrupt?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    interrupt?.addEventListener("abort", onAbort, { once: true });
  });

const howToFollow = (target: AdminTarget, replay: ReplayView): string => {
  const at = `${displayUrl(target.url)}/${replayPath(replay.webhookId, replay.id)}`;
  return [
    `stopped following replay ${replay.id}; it keeps running.`,
    `  follow it: dispatcher replay ${replay.webhookId} --follow ${replay.id}   (or GET ${at})`,
    `  cancel it: dispatcher replay ${replay.webhookId} --cancel ${replay.id}   (or DELETE ${at})`,
    "",
  ].join("\n");
};

/** Reads the replay until it is no longer running (or Ctrl+C); returns the exit code. */
const follow = async (
  target: AdminTarget,
  first: ReplayView,
  io: CliIo,
  options: ReplayCommandOptions,
): Promise<number> => {
  const line = progressLine(io);
  let replay = first;
  while (replay.state === "running") {
    line.show(replay);
    if (!(await wait(options.intervalMs ?? FOLLOW_INTERVAL_MS, options.interrupt))) {
      line.end();
      io.err(howToFollow(target, replay));
      return INTERRUPTED;
    }
    const current = replay;
    const response = await call(target, (client) => client.get(replayPath(current.webhookId, current.id)));
    expectStatus(response, 200, target);
    replay = decodeOrFail(ReplayView, response.data);
  }
  line.show(replay);
  line.end();
  io.out(`replay ${replay.id} ${replay.state}: ${countsLine(replay)}\n`);
  if (Object.keys(replay.partitions).length > 0) io.out(`  partitions: ${partitionsText(replay)}\n`);
  switch (replay.state) {
    case "completed":
      return 0;
    case "failed":
      throw new CommandError(`the replay failed: ${replay.error ?? "see its state"}`);
    case "cancelled":
      throw new CommandError(`the replay was cancelled at ${replay.finishedAt ?? "an unknown time"}`);
    default: {
      const never: never = replay.state;
      return never;
    }
  }
};

const countsLine = (replay: ReplayView): string => {
  const d = replay.deliveries;
  return `${replay.eventsRead} events read, ${d.planned} deliveries planned, ${d.delivered} delivered, ${d.retried} retried, ${d.deadLettered} dead-lettered, ${d.dropped} dropped`;
};

const startReplay = async (
  target: AdminTarget,
  webhookId: string,
  body: ReplayRequest,
  io: CliIo,
  options: ReplayCommandOptions & { readonly noFollow: boolean },
): Promise<number> => {
  const started = await call(target, (client) =>
    client.post(`webhooks/${encodeURIComponent(webhookId)}/replays`, body),
  );
  expectStatus(started, 202, target);
  const replay = decodeOrFail(ReplayView, started.data);
  const events = replay.events.join(",");
  io.out(
    `started replay ${replay.id} of ${webhookId}: ${replay.from} to ${replay.to}, events ${events}, ${replay.rate} events/s\n`,
  );
  if (options.noFollow) {
    io.out(`location ${String(started.headers.location ?? "")}\n`);
    return 0;
  }
  return follow(target, replay, io, options);
};

const followExisting = async (
  target: AdminTarget,
  webhookId: string,
  replayId: string,
  io: CliIo,
  options: ReplayCommandOptions,
): Promise<number> => {
  const response = await call(target, (client) => client.get(replayPath(webhookId, replayId)));
  expectStatus(response, 200, target);
  return follow(target, decodeOrFail(ReplayView, response.data), io, options);
};

const cancelReplay = async (target: AdminTarget, webhookId: string, replayId: string, io: CliIo) => {
  const response = await call(target, (client) => client.delete(replayPath(webhookId, replayId)));
  expectStatus(response, 200, target);
  const replay = decodeOrFail(ReplayView, response.data);
  io.out(`cancelled replay ${replay.id} (it stops at its next step): ${countsLine(replay)}\n`);
  return 0;
};

/** `dispatcher replay WEBHOOK_ID --from ISO ...`: returns the exit code. */
export const replayCommand = async (
  args: ReadonlyArray<string>,
  io: CliIo,
  options: ReplayCommandOptions = {},
): Promise<number> => {
  const secrets: string[] = [];
  let code = 0;
  const failed = await runCommand(
    io,
    "replay",
    (text) => redactSecrets(text, secrets),
    async () => {
      const parsed = parseCommandArgs(args, REPLAY_OPTIONS, REPLAY_USAGE, 1);
      if (parsed.help) return io.out(REPLAY_USAGE + "\n");
      const flags = parsed.options;
      const webhookId = parsed.positionals[0];
      if (webhookId === undefined || webhookId.trim() === "")
        throw new UsageError("replay needs the webhook ID", REPLAY_USAGE);
      if (flags.follow !== undefined && flags.cancel !== undefined)
        throw new UsageError("give --follow or --cancel, not both", REPLAY_USAGE);
      const existing = flags.follow ?? flags.cancel;
      const body = existing === undefined ? requestBody(flags) : undefined;
      const target = adminTarget(flags, io, secrets);
      if (flags.cancel !== undefined) code = await cancelReplay(target, webhookId, flags.cancel, io);
      else if (flags.follow !== undefined)
        code = await followExisting(target, webhookId, flags.follow, io, options);
      else if (body !== undefined)
        code = await startReplay(target, webhookId, body, io, {
          ...options,
          noFollow: flags["no-follow"] === true,
        });
    },
  );
  return failed === 0 ? code : failed;
};

/** An AbortSignal aborted by the process's first SIGINT (Ctrl+C) from now on. */
export const sigintSignal = (): AbortSignal => {
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  return controller.signal;
};
