import { WebhookCreated, WebhookList, type WebhookView } from "../src/functions/webhooks/webhookView";
import { adminTarget, call, CONNECTION, decodeOrFail, expectStatus } from "./adminApi";
import { type CliIo, keyValuePairs, parseCommandArgs, runCommand, UsageError } from "./cliArgs";
import { RECOVER_USAGE, recoverWebhook } from "./recoverCommand";
import { displayUrl, redactSecrets } from "./runtimeInfo";

export const WEBHOOKS_USAGE = `Usage:
  dispatcher webhooks list [--reveal-headers] [--json]
      a table of every webhook: id, url, subscriptions, attributes, disabled
      --reveal-headers            show header values (masked otherwise) in a HEADERS column
      --json                      print the API's JSON instead
  dispatcher webhooks add --url U --subscribe ping[,service:subscribed] [--attr k=v]... [--header k=v]...
                          [--ordering none|per-subject] [--on-failure continue|block] [--disabled] [--json]
      registers a webhook and prints it with its secret (shown only this once)
      --ordering per-subject      deliver each subject's events (a citizen's) in stream order, with
                                  webhook-sequence and webhook-previous-id headers (default none)
      --on-failure block          per-subject only: hold a subject whose delivery ran out of retries until an
                                  operator skips or retries it (default continue: dead-letter it and go on)
  dispatcher webhooks rm ID
      deletes a webhook
${RECOVER_USAGE}
  Every subcommand: --admin-url URL (else DISPATCHER_ADMIN_URL, else runtime.json) and
                    --key KEY (else ADMIN_KEY, else runtime.json)`;

const LIST_OPTIONS = {
  ...CONNECTION,
  "reveal-headers": { type: "boolean" },
  json: { type: "boolean" },
} as const;
const ADD_OPTIONS = {
  ...CONNECTION,
  url: { type: "string" },
  subscribe: { type: "string", multiple: true },
  attr: { type: "string", multiple: true },
  header: { type: "string", multiple: true },
  ordering: { type: "string" },
  "on-failure": { type: "string" },
  disabled: { type: "boolean" },
  json: { type: "boolean" },
} as const;

const pairs = (record: Readonly<Record<string, string>>): string =>
  Object.entries(record)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

/** Columns padded to their widest cell; the last column is not padded. */
export const renderTable = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = rows.reduce<number[]>(
    (acc, row) => row.map((cell, i) => Math.max(acc[i] ?? 0, cell.length)),
    [],
  );
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
};

const disabledText = (webhook: WebhookView): string =>
  webhook.disabled
    ? `yes${webhook.disabledReason === undefined ? "" : ` (${webhook.disabledReason})`}`
    : "no";

export const webhooksTable = (items: ReadonlyArray<WebhookView>, withHeaders: boolean): string => {
  const header = [
    "ID",
    "URL",
    "SUBSCRIPTIONS",
    "ATTRIBUTES",
    ...(withHeaders ? ["HEADERS"] : []),
    "ORDERING",
    "DISABLED",
  ];
  const rows = items.map((w) => [
    w.id,
    w.url,
    w.subscriptions.join(","),
    pairs(w.attributes),
    ...(withHeaders ? [pairs(w.headers)] : []),
    w.ordering,
    disabledText(w),
  ]);
  return renderTable([header, ...rows]);
};

const listWebhooks = async (args: ReadonlyArray<string>, io: CliIo, secrets: string[]): Promise<void> => {
  const { options, help } = parseCommandArgs(args, LIST_OPTIONS, WEBHOOKS_USAGE, 0);
  if (help) return io.out(WEBHOOKS_USAGE + "\n");
  const target = adminTarget(options, io, secrets);
  const reveal = options["reveal-headers"] === true;
  const response = await call(target, (client) =>
    client.get("webhooks", { params: reveal ? { reveal: "headers" } : {} }),
  );
  expectStatus(response, 200, target);
  const { items } = decodeOrFail(WebhookList, response.data);
  if (options.json === true) return io.out(JSON.stringify(items, null, 2) + "\n");
  io.out(items.length === 0 ? "No webhooks.\n" : webhooksTable(items, reveal) + "\n");
};

const addWebhook = async (args: ReadonlyArray<string>, io: CliIo, secrets: string[]): Promise<void> => {
  const { options, help } = parseCommandArgs(args, ADD_OPTIONS, WEBHOOKS_USAGE, 0);
  if (help) return io.out(WEBHOOKS_USAGE + "\n");
  if (options.url === undefined) throw new UsageError("webhooks add needs --url", WEBHOOKS_USAGE);
  const subscriptions = (options.subscribe ?? []).flatMap((s) => s.split(",")).map((s) => s.trim());
  if (subscriptions.filter((s) => s !== "").length === 0) {
    throw new UsageError("webhooks add needs --subscribe (e.g. --subscribe ping)", WEBHOOKS_USAGE);
  }
  const body = {
    url: options.url,
    subscriptions,
    attributes: keyValuePairs("attr", options.attr, WEBHOOKS_USAGE),
    headers: keyValuePairs("header", options.header, WEBHOOKS_USAGE),
    disabled: options.disabled === true,
    ...(options.ordering === undefined
      ? {}
      : { ordering: oneOf("ordering", options.ordering, ["none", "per-subject"]) }),
    ...(options["on-failure"] === undefined
      ? {}
      : { orderingOnFailure: oneOf("on-failure", options["on-failure"], ["continue", "block"]) }),
  };
  const target = adminTarget(options, io, secrets);
  const response = await call(target, (client) => client.post("webhooks", body));
  expectStatus(response, 201, target);
  const created = decodeOrFail(WebhookCreated, response.data);
  io.out(options.json === true ? JSON.stringify(created, null, 2) + "\n" : createdText(created));
  io.err(
    `note: the secret is shown only this once; store it now ` +
      `(a lost secret can be replaced: POST ${displayUrl(target.url)}/webhooks/${created.id}/rotate-secret)\n`,
  );
};

const oneOf = (flag: string, value: string, allowed: ReadonlyArray<string>): string => {
  if (!allowed.includes(value))
    throw new UsageError(`--${flag} must be one of ${allowed.join(", ")}`, WEBHOOKS_USAGE);
  return value;
};

const createdText = (created: WebhookCreated): string =>
  [
    `created webhook ${created.id}`,
    `  url            ${created.url}`,
    `  subscriptions  ${created.subscriptions.join(", ")}`,
    `  attributes     ${pairs(created.attributes) || "-"}`,
    `  headers        ${pairs(created.headers) || "-"}`,
    `  ordering       ${created.ordering}${created.ordering === "per-subject" ? ` (on failure: ${created.orderingOnFailure})` : ""}`,
    `  disabled       ${disabledText(created)}`,
    `  secret         ${created.secret}`,
    "",
  ].join("\n");

const removeWebhook = async (args: ReadonlyArray<string>, io: CliIo, secrets: string[]): Promise<void> => {
  const { options, positionals, help } = parseCommandArgs(args, CONNECTION, WEBHOOKS_USAGE, 1);
  if (help) return io.out(WEBHOOKS_USAGE + "\n");
  const id = positionals[0];
  if (id === undefined || id.trim() === "")
    throw new UsageError("webhooks rm needs the webhook ID", WEBHOOKS_USAGE);
  const target = adminTarget(options, io, secrets);
  const response = await call(target, (client) => client.delete(`webhooks/${encodeURIComponent(id)}`));
  expectStatus(response, 204, target);
  io.out(`removed webhook ${id}\n`);
};

/** `dispatcher webhooks list|add|rm|recover ...`: returns the exit code. */
export const webhooksCommand = async (args: ReadonlyArray<string>, io: CliIo): Promise<number> => {
  const [sub, ...rest] = args;
  const secrets: string[] = [];
  return runCommand(
    io,
    sub === undefined || sub.startsWith("-") ? "webhooks" : `webhooks ${sub}`,
    (text) => redactSecrets(text, secrets),
    async () => {
      switch (sub) {
        case "list":
          return listWebhooks(rest, io, secrets);
        case "add":
          return addWebhook(rest, io, secrets);
        case "rm":
          return removeWebhook(rest, io, secrets);
        case "recover":
          return recoverWebhook(rest, io, secrets);
        case "--help":
        case "-h":
        case "help":
          return io.out(WEBHOOKS_USAGE + "\n");
        case undefined:
        default:
          throw new UsageError(
            sub === undefined ? "Give a subcommand: list, add, rm or recover" : `Unknown subcommand "${sub}"`,
            WEBHOOKS_USAGE,
          );
      }
    },
  );
};
