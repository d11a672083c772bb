import http from "node:http";
import type { AddressInfo } from "node:net";

import { Webhook } from "standardwebhooks";

import { type CliIo, parseCommandArgs, runCommand, UsageError } from "./cliArgs";

export const RECEIVE_USAGE = `Usage: dispatcher receive [--port P] [--secret whsec_...] [--status CODE]
  A webhook receiver for trying the dispatcher out: listens on 127.0.0.1, prints every delivery (webhook-id,
  event, payload) and, with --secret, whether its Standard Webhooks signature verifies. Ctrl+C stops it.
  --port P                    port to listen on (default 8080; 0 picks a free one)
  --secret S                  the webhook's signing secret, as the create response showed it
  --status CODE               the status to answer with (default 204; try 503 to watch retries, 410 to retire)`;

const OPTIONS = { port: { type: "string" }, secret: { type: "string" }, status: { type: "string" } } as const;

export interface RunningReceiver {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the receiver; each delivery is described on `io.out` (one line, then the body). */
export const startReceiver = async (
  io: CliIo,
  options: { port: number; secret?: string; status: number },
): Promise<RunningReceiver> => {
  const verifier = options.secret === undefined ? undefined : new Webhook(options.secret);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]),
      );
      let verdict = "not checked (no --secret)";
      if (verifier !== undefined) {
        try {
          verifier.verify(body, headers);
          verdict = "verified";
        } catch {
          verdict = "DOES NOT VERIFY";
        }
      }
      const time = new Date(io.now()).toISOString();
      io.out(
        `${time} ${req.method ?? ""} ${req.url ?? ""} webhook-id=${headers["webhook-id"] ?? "-"} signature ${verdict} -> ${options.status}\n  ${body}\n`,
      );
      res.writeHead(options.status).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
};

/** `dispatcher receive`: runs until SIGINT/SIGTERM. */
export const receiveCommand = (args: ReadonlyArray<string>, io: CliIo): Promise<number> =>
  runCommand(
    io,
    "receive",
    (text) => text,
    async () => {
      const parsed = parseCommandArgs(args, OPTIONS, RECEIVE_USAGE, 0);
      if (parsed.help) {
        io.out(RECEIVE_USAGE + "\n");
        return;
      }
      const port = Number(parsed.options.port ?? "8080");
      const status = Number(parsed.options.status ?? "204");
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError("--port must be 0-65535", RECEIVE_USAGE);
      if (!Number.isInteger(status) || status < 200 || status > 599) {
        throw new UsageError("--status must be an HTTP status from 200 to 599", RECEIVE_USAGE);
      }
      const secret = parsed.options.secret;
      if (secret !== undefined && !secret.startsWith("whsec_")) {
        throw new UsageError(
          "--secret must be the whsec_... value the create response showed",
          RECEIVE_USAGE,
        );
      }
      const receiver = await startReceiver(io, { port, status, ...(secret === undefined ? {} : { secret }) });
      io.err(`Receiving on http://127.0.0.1:${receiver.port}/ (answering ${status}); Ctrl+C stops.\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await receiver.close();
    },
  );
