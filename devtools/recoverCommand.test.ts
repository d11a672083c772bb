import { createServer, type Server } from "node:http";
import { type AddressInfo } from "node:net";

import { bufferedIo, runCommand } from "./cliArgs";
import { recoverWebhook } from "./recoverCommand";
import { webhooksCommand } from "./webhooksCommand";

/**
 * `dispatcher webhooks recover` over an admin API of the test's own that answers as the documented one does
 * (202 with a Location, then the recovery's state: running, running, then completed or failed).
 */

const recovery = (state: string, handedOver: number) => ({
  id: "r1",
  webhookId: "wh1",
  state,
  since: "2026-03-01T10:00:00.000Z",
  startedAt: "2026-03-02T10:00:00.000Z",
  count: 3,
  found: handedOver,
  handedOver,
  updatedAt: "2026-03-02T10:00:01.000Z",
  ...(state === "failed" ? { reason: "the webhook is disabled" } : {}),
});

const serve = (last: string) => {
  const seen: Array<{ method: string; url: string; key: string; body: string }> = [];
  let polls = 0;
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      seen.push({
        method: req.method ?? "",
        url: req.url ?? "",
        key: String(req.headers["x-functions-key"]),
        body,
      });
      res.setHeader("content-type", "application/json");
      if (req.method === "POST") {
        res.writeHead(202, { location: "/api/webhooks/wh1/recoveries/r1" });
        return res.end(JSON.stringify(recovery("running", 0)));
      }
      polls++;
      res.writeHead(200);
      res.end(JSON.stringify(polls < 3 ? recovery("running", polls) : recovery(last, 3)));
    });
  });
  return new Promise<{ url: string; seen: typeof seen; close: () => void }>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`,
        seen,
        close: () => server.close(),
      }),
    ),
  );
};

const run = async (url: string, args: ReadonlyArray<string>, errIsTty = false) => {
  const { io, stdout, stderr } = bufferedIo({ env: { DISPATCHER_ADMIN_URL: url, ADMIN_KEY: "k" }, errIsTty });
  const code = await runCommand(
    io,
    "webhooks recover",
    (t) => t,
    () => recoverWebhook(args, io, [], 5),
  );
  return { code, stdout: stdout(), stderr: stderr() };
};

describe("dispatcher webhooks recover", () => {
  it("starts the recovery, prints its count, and follows it with a progress line until it completes", async () => {
    const api = await serve("completed");
    try {
      const result = await run(api.url, ["wh1", "--since", "2026-03-01T10:00:00Z"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(
        "recovering 3 dead letters of wh1 since 2026-03-01T10:00:00.000Z (recovery r1)\n" +
          "completed: 3 of 3 dead letters handed over\n",
      );
      expect(result.stderr.split("\n").filter((l) => l !== "")).toEqual([
        "recovery r1: running, 0 of 3 handed over (0 found)",
        "recovery r1: running, 1 of 3 handed over (1 found)",
        "recovery r1: running, 2 of 3 handed over (2 found)",
        "recovery r1: completed, 3 of 3 handed over (3 found)",
      ]);
      expect(api.seen[0]).toEqual({
        method: "POST",
        url: "/api/webhooks/wh1/recover",
        key: "k",
        body: JSON.stringify({ since: "2026-03-01T10:00:00Z" }),
      });
      expect(api.seen.slice(1).map((r) => `${r.method} ${r.url}`)).toEqual(
        Array(3).fill("GET /api/webhooks/wh1/recoveries/r1"),
      );
    } finally {
      api.close();
    }
  });

  it("rewrites the progress line in place on a terminal, and exits 1 when the recovery failed", async () => {
    const api = await serve("failed");
    try {
      const result = await run(api.url, ["wh1", "--since", "2026-03-01T10:00:00Z"], true);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("\rrecovery r1: running, 1 of 3 handed over (1 found)\x1b[K");
      expect(result.stderr).toContain("the recovery failed: the webhook is disabled");
    } finally {
      api.close();
    }
  });

  it.each([
    [["--since", "2026-03-01T10:00:00Z"], "needs the webhook ID"],
    [["wh1"], "needs --since"],
    [["wh1", "--since", "yesterday"], "needs --since with an ISO time"],
  ])("refuses %j with a usage error (exit 2), calling nothing", async (args, message) => {
    const result = await run("http://127.0.0.1:9/api", args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it("is the webhooks command's recover subcommand", async () => {
    const { io, stderr } = bufferedIo({
      env: { DISPATCHER_ADMIN_URL: "http://127.0.0.1:9/api", ADMIN_KEY: "k" },
    });
    expect(await webhooksCommand(["recover", "--since", "2026-03-01T10:00:00Z"], io)).toBe(2);
    expect(stderr()).toContain("dispatcher webhooks recover: webhooks recover needs the webhook ID");
  });
});
