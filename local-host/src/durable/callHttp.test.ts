import * as http from "node:http";
import type { AddressInfo } from "node:net";

import { captureDurable, type Harness, startHarness } from "./testHarness";
import { waitForCompletion } from "./testWait";

/** callHttp: the runtime performs the request and hands back a DurableHttpResponse, polling 202 + Location. */
describe("durable callHttp", () => {
  interface Seen {
    readonly method: string;
    readonly url: string;
    readonly body: string;
    readonly key?: string;
    readonly test?: string;
  }
  const seen: Seen[] = [];
  let polls = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const header = (name: string) => req.headers[name] as string | undefined;
      seen.push({ method: req.method ?? "", url: req.url ?? "", body, key: header("x-functions-key") });
      if (req.url === "/echo") {
        res.writeHead(201, { "content-type": "application/json", "x-reply": "yes" });
        res.end(JSON.stringify({ got: JSON.parse(body) as unknown, test: header("x-test") }));
      } else if (req.url === "/job" || (req.url === "/job/status" && ++polls < 2)) {
        res.writeHead(202, { location: "/job/status", "retry-after": "0" }).end("working");
      } else if (req.url === "/job/status") {
        res.writeHead(200, { "content-type": "text/plain" }).end("finished");
      } else res.writeHead(404).end();
    });
  });
  let base = "";
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const shim = captureDurable((df) => {
    df.app.activity("double", { handler: (n: unknown) => Number(n) * 2 });
    df.app.orchestration("postJson", function* (context) {
      const { url } = context.df.getInput<{ url: string }>();
      const res = (yield context.df.callHttp({
        method: "POST",
        url,
        body: { a: 1 },
        headers: { "x-test": "t1" },
      })) as { statusCode: number; content: string; headers: Record<string, string> };
      return {
        statusCode: res.statusCode,
        content: JSON.parse(res.content) as unknown,
        reply: res.headers["x-reply"],
      };
    });
    df.app.orchestration("pollJob", function* (context) {
      const { url, enablePolling } = context.df.getInput<{ url: string; enablePolling: boolean }>();
      const headers = { "x-functions-key": "secret" };
      const res = (yield context.df.callHttp({ method: "POST", url, headers, enablePolling })) as {
        statusCode: number;
        content: string;
      };
      // Sequence ids after the polls (two per 202) must match the library's, or this never completes.
      const after = (yield context.df.callActivity("double", 4)) as number;
      return { statusCode: res.statusCode, content: res.content, after };
    });
    df.app.orchestration("withIdentity", function* (context) {
      yield context.df.callHttp({
        method: "GET",
        url: "http://127.0.0.1:9/never",
        tokenSource: new df.ManagedIdentityTokenSource("https://management.core.windows.net"),
      });
    });
    df.app.orchestration("unreachable", function* (context) {
      try {
        yield context.df.callHttp({ method: "GET", url: context.df.getInput<string>() });
        return "no error";
      } catch (error) {
        return (error as Error).message;
      }
    });
  });

  let h: Harness;
  beforeEach(async () => {
    seen.length = 0;
    polls = 0;
    h = await startHarness(shim);
  });
  afterEach(() => h.close());

  it("sends the request with its body and headers and returns status, headers and content", async () => {
    const id = await h.client.startNew("postJson", { input: { url: `${base}/echo` } });
    const done = await waitForCompletion(h, id);
    expect(done).toEqual({
      status: 200,
      body: { statusCode: 201, content: { got: { a: 1 }, test: "t1" }, reply: "yes" },
    });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(["POST /echo"]);
  });

  it("polls a 202's Location with GET (without x-functions-key) until the answer is final", async () => {
    const id = await h.client.startNew("pollJob", { input: { url: `${base}/job`, enablePolling: true } });
    const done = await waitForCompletion(h, id);
    expect(done).toEqual({ status: 200, body: { statusCode: 200, content: "finished", after: 8 } });
    expect(seen.map((s) => `${s.method} ${s.url} ${s.key ?? "-"}`)).toEqual([
      "POST /job secret",
      "GET /job/status -",
      "GET /job/status -",
    ]);
  });

  it("returns the 202 itself when polling is turned off", async () => {
    const id = await h.client.startNew("pollJob", { input: { url: `${base}/job`, enablePolling: false } });
    const done = await waitForCompletion(h, id);
    expect(done).toEqual({ status: 200, body: { statusCode: 202, content: "working", after: 8 } });
    expect(seen).toHaveLength(1);
  });

  it("fails the orchestration, naming it, when callHttp asks for a managed identity token", async () => {
    const id = await h.client.startNew("withIdentity");
    const done = await waitForCompletion(h, id);
    expect(done.status).toBe(500);
    const { output } = done.body as { output: string };
    expect(output).toContain("Orchestrator function 'withIdentity' failed");
    expect(output).toContain("callHttp with a tokenSource");
  });

  it("surfaces a request that cannot be sent as an error the orchestrator can catch", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/gone`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const id = await h.client.startNew("unreachable", { input: url });
    const done = await waitForCompletion(h, id);
    expect(done.status).toBe(200);
    expect(done.body).toEqual(expect.stringContaining(`BuiltIn::HttpActivity' failed: GET ${url} failed`));
  });
});
