import { createServer, type Server } from "node:http";
import { type AddressInfo } from "node:net";

import { bufferedIo } from "./cliArgs";
import { replayCommand } from "./replayCommand";

/**
 * `dispatcher replay` over an admin API of the test's own on 127.0.0.1 that answers as the documented one does:
 * 202 with the replay and a Location, then the replay's state on each GET (running twice, then the last state).
 */

const replay = (state: string, step: number) => ({
  id: "rp_1",
  webhookId: "wh1",
  state,
  from: "2026-03-01T10:00:00.000Z",
  to: "2026-03-01T11:00:00.000Z",
  events: ["ping"],
  rate: 200,
  eventsRead: step * 3,
  deliveries: { planned: step * 3, delivered: step * 3, retried: 0, deadLettered: 0, dropped: 0 },
  partitions:
    step === 0
      ? {}
      : {
          "0": { finished: step >= 2, sequenceNumber: step * 2 },
          "1": { finished: step >= 3, sequenceNumber: step },
        },
  startedAt: "2026-03-02T10:00:00.000Z",
  ...(state === "running" ? {} : { finishedAt: "2026-03-02T10:00:05.000Z" }),
  ...(state === "failed" ? { error: "the hub could not be read" } : {}),
});

type Seen = { method: string; url: string; key: string; body: string };

const serve = (last: string, answer?: { status: number; body: unknown }) => {
  const seen: Seen[] = [];
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
      if (answer !== undefined) {
        res.writeHead(answer.status);
        return res.end(JSON.stringify(answer.body));
      }
      if (req.method === "POST") {
        res.writeHead(202, { location: "/api/webhooks/wh1/replays/rp_1" });
        return res.end(JSON.stringify(replay("running", 0)));
      }
      if (req.method === "DELETE") {
        res.writeHead(200);
        return res.end(JSON.stringify(replay("cancelled", 1)));
      }
      polls++;
      res.writeHead(200);
      res.end(JSON.stringify(polls < 3 ? replay("running", polls) : replay(last, 3)));
    });
  });
  return new Promise<{ url: string; seen: Seen[]; close: () => void }>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`,
        seen,
        close: () => server.close(),
      }),
    ),
  );
};

const run = async (
  url: string,
  args: ReadonlyArray<string>,
  { errIsTty = false, interrupt }: { errIsTty?: boolean; interrupt?: AbortSignal } = {},
) => {
  const { io, stdout, stderr } = bufferedIo({
    env: { DISPATCHER_ADMIN_URL: url, ADMIN_KEY: "k3y-s3cret" },
    errIsTty,
  });
  const code = await replayCommand(args, io, {
    intervalMs: 5,
    ...(interrupt === undefined ? {} : { interrupt }),
  });
  return { code, stdout: stdout(), stderr: stderr() };
};

const WINDOW = ["--from", "2026-03-01T10:00:00Z", "--to", "2026-03-01T11:00:00Z"];

describe("dispatcher replay", () => {
  it("starts the replay with the flags as its body and follows it with progress lines until it completes", async () => {
    const api = await serve("completed");
    try {
      const result = await run(api.url, ["wh1", ...WINDOW, "--events", "ping", "--rate", "50"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(
        "started replay rp_1 of wh1: 2026-03-01T10:00:00.000Z to 2026-03-01T11:00:00.000Z, events ping, 200 events/s\n" +
          "replay rp_1 completed: 9 events read, 9 deliveries planned, 9 delivered, 0 retried, 0 dead-lettered, 0 dropped\n" +
          "  partitions: 0 reached to at #6, 1 reached to at #3\n",
      );
      const counts = (n: number) => `read ${n}, delivered ${n}, retried 0, dead-lettered 0, dropped 0`;
      expect(result.stderr.split("\n").filter((l) => l !== "")).toEqual([
        `replay rp_1 running [--------------------] partitions not listed yet; ${counts(0)}`,
        `replay rp_1 running [--------------------] 0/2 partitions at to; ${counts(3)}`,
        `replay rp_1 running [##########----------] 1/2 partitions at to; ${counts(6)}`,
        `replay rp_1 completed [####################] 2/2 partitions at to; ${counts(9)}`,
      ]);
      expect(api.seen[0]).toEqual({
        method: "POST",
        url: "/api/webhooks/wh1/replays",
        key: "k3y-s3cret",
        body: JSON.stringify({
          from: "2026-03-01T10:00:00Z",
          to: "2026-03-01T11:00:00Z",
          events: ["ping"],
          rate: 50,
        }),
      });
      expect(api.seen.slice(1).map((r) => `${r.method} ${r.url}`)).toEqual(
        Array(3).fill("GET /api/webhooks/wh1/replays/rp_1"),
      );
    } finally {
      api.close();
    }
  });

  it("rewrites the progress line in place on a terminal, and exits 1 with the reason when the replay failed", async () => {
    const api = await serve("failed");
    try {
      const result = await run(api.url, ["wh1", ...WINDOW], { errIsTty: true });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("\rreplay rp_1 running [##########----------] 1/2 partitions at to;");
      expect(result.stderr).toContain("\x1b[K");
      expect(result.stderr).toContain("dispatcher replay: the replay failed: the hub could not be read\n");
      expect(result.stdout).toContain("replay rp_1 failed: 9 events read");
    } finally {
      api.close();
    }
  });

  it("exits 1 saying so when the replay was cancelled", async () => {
    const api = await serve("cancelled");
    try {
      const result = await run(api.url, ["wh1", ...WINDOW]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        "dispatcher replay: the replay was cancelled at 2026-03-02T10:00:05.000Z\n",
      );
    } finally {
      api.close();
    }
  });

  it("with --no-follow prints the id and Location and reads nothing more", async () => {
    const api = await serve("completed");
    try {
      const result = await run(api.url, ["wh1", ...WINDOW, "--no-follow"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("started replay rp_1 of wh1");
      expect(result.stdout).toContain("location /api/webhooks/wh1/replays/rp_1\n");
      expect(api.seen.map((r) => r.method)).toEqual(["POST"]);
    } finally {
      api.close();
    }
  });

  it("on Ctrl+C stops following, cancels nothing, and prints how to follow or cancel (exit 130)", async () => {
    const api = await serve("completed");
    const interrupt = new AbortController();
    try {
      const pending = run(api.url, ["wh1", ...WINDOW], { interrupt: interrupt.signal });
      // Interrupt once the first poll has been answered: the command is then waiting for the next one.
      for (const deadline = Date.now() + 5000; api.seen.length < 2;) {
        if (Date.now() > deadline) throw new Error("the command never polled the replay");
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      interrupt.abort();
      const result = await pending;
      expect(result.code).toBe(130);
      expect(result.stderr).toContain("stopped following replay rp_1; it keeps running.\n");
      expect(result.stderr).toContain("follow it: dispatcher replay wh1 --follow rp_1");
      expect(result.stderr).toContain("cancel it: dispatcher replay wh1 --cancel rp_1");
      expect(result.stderr).toContain(`(or DELETE ${api.url}/webhooks/wh1/replays/rp_1)`);
      expect(result.stderr + result.stdout).not.toContain("k3y-s3cret");
      expect(api.seen.map((r) => r.method)).not.toContain("DELETE");
    } finally {
      api.close();
    }
  });

  it("follows a replay already started with --follow, and cancels one with --cancel", async () => {
    const api = await serve("completed");
    try {
      expect((await run(api.url, ["wh1", "--follow", "rp_1"])).code).toBe(0);
      const cancelled = await run(api.url, ["wh1", "--cancel", "rp_1"]);
      expect(cancelled.code).toBe(0);
      expect(cancelled.stdout).toContain("cancelled replay rp_1 (it stops at its next step)");
      expect(api.seen.map((r) => `${r.method} ${r.url}`)).toEqual([
        ...Array(3).fill("GET /api/webhooks/wh1/replays/rp_1"),
        "DELETE /api/webhooks/wh1/replays/rp_1",
      ]);
    } finally {
      api.close();
    }
  });

  it("shows the API's problem on a 400, naming the field (exit 1)", async () => {
    const api = await serve("completed", {
      status: 400,
      body: {
        type: "about:blank",
        title: "The replay request is not valid",
        status: 400,
        errors: [{ path: "/from", message: "must be before to" }],
      },
    });
    try {
      const result = await run(api.url, ["wh1", ...WINDOW]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("The replay request is not valid (HTTP 400)");
      expect(result.stderr).toContain("  - /from: must be before to");
    } finally {
      api.close();
    }
  });

  it.each([
    [["--from", "2026-03-01T10:00:00Z"], "replay needs the webhook ID"],
    [["wh1"], "replay needs --from with an ISO time"],
    [["wh1", "--from", "yesterday"], "--from: must be an ISO 8601 time"],
    [
      ["wh1", "--from", "2026-03-01T10:00:00Z", "--to", "2026-13-45T99:00:00Z"],
      "--to: must be an ISO 8601 time",
    ],
    [["wh1", "--from", "2026-03-01T10:00:00Z", "--rate", "fast"], "--rate: must be an integer 1-5000"],
    [["wh1", "--from", "2026-03-01T10:00:00Z", "--rate", "0"], "--rate: must be an integer 1-5000"],
    [
      ["wh1", "--from", "2026-03-01T10:00:00Z", "--events", "ping,nope"],
      "--events (item 1): must be a public event name",
    ],
    [["wh1", "--follow", "rp_1", "--cancel", "rp_1"], "give --follow or --cancel, not both"],
    [["wh1", "--from"], "argument missing"],
  ])("refuses %j with a usage error (exit 2), calling nothing", async (args, message) => {
    const result = await run("http://127.0.0.1:9/api", args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain("Usage: dispatcher replay WEBHOOK_ID");
  });
});
