import type * as AzureFunctions from "@azure/functions";

import type { FunctionsCoreShim } from "./functionsCore";
import { type LocalLog } from "./invocation";
import { captureFunctions } from "./test-support/captureFunctions";
import { startTimerHost } from "./timerHost";
import { invocationTraceParent, invokeAsWorker } from "./workerInvocation";

/**
 * Functions invoked as the Node worker invokes them: through the app's own @azure/functions programming model,
 * so the handler gets the library's HttpRequest, InvocationContext, camelCase timer values and retry context, and
 * the pre/postInvocation hooks run around it.
 */
const loadApp = (register: (app: typeof AzureFunctions.app) => void): FunctionsCoreShim =>
  captureFunctions(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { app } = require("@azure/functions") as typeof AzureFunctions;
    register(app);
  });

const logLines: string[] = [];
const log: LocalLog = (level, source, message) => logLines.push(`${level} ${source}: ${message}`);
beforeEach(() => logLines.splice(0));

const waitFor = async (condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe("invokeAsWorker (HTTP)", () => {
  it("hands the handler the library's HttpRequest and converts its HttpResponse back", async () => {
    const shim = loadApp((app) =>
      app.http("echo", {
        methods: ["POST"],
        handler: async (request, context) => ({
          status: 201,
          headers: { "x-function": context.functionName },
          jsonBody: { text: await request.text(), q: request.query.get("q"), id: request.params.id },
        }),
      }),
    );
    const fn = shim.functions.get("echo")!;
    const result = await invokeAsWorker(
      shim,
      fn,
      {
        trigger: {
          http: {
            method: "POST",
            url: "http://127.0.0.1/api/echo?q=1",
            headers: { "content-type": "text/plain" },
            query: { q: "1" },
            params: { id: "7" },
            body: { bytes: Buffer.from("hello") },
          },
        },
      },
      log,
    );
    const http = result.returnValue?.http;
    expect(http?.statusCode).toBe("201");
    expect(http?.headers).toMatchObject({ "x-function": "echo", "content-type": "application/json" });
    expect(JSON.parse(Buffer.from(http!.body!.bytes!).toString())).toEqual({
      text: "hello",
      q: "1",
      id: "7",
    });
  });

  it("runs preInvocation hooks that replace the handler and postInvocation hooks that see the result", async () => {
    const seen: string[] = [];
    const shim = loadApp((app) => {
      app.http("hooked", { handler: () => ({ body: "original" }) });
      app.hook.preInvocation((context) => {
        seen.push(`pre ${context.invocationContext.functionName}`);
        context.hookData.started = true;
        context.functionHandler = () => ({ body: "replaced" });
      });
      app.hook.postInvocation((context) => {
        seen.push(`post ${String(context.hookData.started)} ${JSON.stringify(context.result)}`);
      });
    });
    const result = await invokeAsWorker(
      shim,
      shim.functions.get("hooked")!,
      {
        trigger: {
          http: { method: "GET", url: "http://127.0.0.1/api/hooked", headers: {}, query: {}, params: {} },
        },
      },
      log,
    );
    expect(Buffer.from(result.returnValue!.http!.body!.bytes!).toString()).toBe("replaced");
    expect(seen).toEqual(["pre hooked", 'post true {"body":"replaced"}']);
  });

  it("formats context.log arguments as the worker does (util.format), at their level", async () => {
    const shim = loadApp((app) =>
      app.http("logs", {
        handler: (_request, context) => {
          context.log("object", { a: 1 }, 2);
          context.warn("careful %d", 3);
          return { status: 204 };
        },
      }),
    );
    await invokeAsWorker(
      shim,
      shim.functions.get("logs")!,
      {
        trigger: {
          http: { method: "GET", url: "http://127.0.0.1/api/logs", headers: {}, query: {}, params: {} },
        },
      },
      log,
    );
    expect(logLines).toEqual(["information logs: object { a: 1 } 2", "warning logs: careful 3"]);
  });

  it("turns a synchronous throw into a rejected invocation, not an uncaught exception", async () => {
    const shim = loadApp((app) =>
      app.http("throws", {
        handler: () => {
          throw new Error("boom");
        },
      }),
    );
    await expect(
      invokeAsWorker(
        shim,
        shim.functions.get("throws")!,
        {
          trigger: {
            http: { method: "GET", url: "http://127.0.0.1/api/t", headers: {}, query: {}, params: {} },
          },
        },
        log,
      ),
    ).rejects.toThrow("boom");
  });

  it("fails an invocation that outlives host.json functionTimeout with an error naming the function", async () => {
    const shim = loadApp((app) => app.http("stuck", { handler: () => new Promise<never>(() => undefined) }));
    const invocation = invokeAsWorker(
      shim,
      shim.functions.get("stuck")!,
      { trigger: { http: { method: "GET", url: "http://127.0.0.1/api/stuck" } }, timeoutMs: 100 },
      log,
    );
    await expect(invocation).rejects.toThrow(/exceeded by function "stuck"/);
  });
});

describe("timer triggers through the worker path", () => {
  it("give the handler isPastDue, its schedule and a scheduleStatus with the next occurrence", async () => {
    const seen: AzureFunctions.Timer[] = [];
    const shim = loadApp((app) =>
      app.timer("every-second", { schedule: "* * * * * *", handler: (timer) => void seen.push(timer) }),
    );
    const timers = startTimerHost(shim, log);
    try {
      await waitFor(() => seen.length >= 1, "a timer run");
    } finally {
      timers.stop();
    }
    const timer = seen[0]!;
    expect(timer.isPastDue).toBe(false);
    expect(timer.schedule).toEqual({ adjustForDST: false });
    expect(new Date(timer.scheduleStatus.next).getTime()).toBeGreaterThan(
      new Date(timer.scheduleStatus.last).getTime(),
    );
  });

  it("retries a failing run under its retry policy with context.retryContext, and survives a synchronous throw", async () => {
    const runs: Array<AzureFunctions.RetryContext | undefined> = [];
    const shim = loadApp((app) =>
      app.timer("flaky", {
        schedule: "0 0 0 1 1 *",
        runOnStartup: true,
        retry: { strategy: "fixedDelay", maxRetryCount: 2, delayInterval: { seconds: 0 } },
        handler: (_timer, context) => {
          runs.push(context.retryContext);
          if (runs.length < 3) throw new Error(`failure ${runs.length}`);
        },
      }),
    );
    const timers = startTimerHost(shim, log);
    try {
      await waitFor(() => runs.length === 3, "the run and its two retries");
    } finally {
      timers.stop();
    }
    expect(runs[0]).toBeUndefined();
    expect(runs[1]).toMatchObject({ retryCount: 1, maxRetryCount: 2, exception: { message: "failure 1" } });
    expect(runs[2]).toMatchObject({ retryCount: 2, maxRetryCount: 2, exception: { message: "failure 2" } });
    expect(logLines.filter((line) => line.startsWith("error"))).toEqual([]);
  });

  it("logs a run that failed after its last retry with the function's name", async () => {
    const shim = loadApp((app) =>
      app.timer("broken", {
        schedule: "0 0 0 1 1 *",
        runOnStartup: true,
        handler: () => {
          throw new Error("always");
        },
      }),
    );
    const timers = startTimerHost(shim, log);
    try {
      await waitFor(() => logLines.some((line) => line.startsWith("error")), "the failure log");
    } finally {
      timers.stop();
    }
    expect(logLines).toContain("error broken: timer run failed: always");
  });
});

describe("invocation trace context", () => {
  const W3C = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
  const seenTraceParents = (callerTraceParent?: string): Promise<Array<string | undefined>> => {
    const seen: Array<string | undefined> = [];
    const shim = loadApp((app) => {
      app.http("traced", {
        handler: (_request, context) => {
          seen.push(context.traceContext?.traceParent);
          return { body: "ok" };
        },
      });
      // What @azure/functions-opentelemetry-instrumentation reads: the hook context's invocation context.
      app.hook.preInvocation((context) => {
        seen.push(context.invocationContext.traceContext?.traceParent);
      });
    });
    const fn = shim.functions.get("traced")!;
    const invoke = (): Promise<unknown> =>
      invokeAsWorker(
        shim,
        fn,
        {
          trigger: { http: { method: "GET", url: "http://127.0.0.1/api/traced" } },
          ...(callerTraceParent === undefined ? {} : { traceParent: callerTraceParent }),
        },
        log,
      );
    return invoke()
      .then(invoke)
      .then(() => seen);
  };

  it("gives each invocation its own W3C traceparent, in the hooks and the handler, as the host does", async () => {
    const [pre1, handler1, pre2, handler2] = await seenTraceParents();
    expect(handler2).toBe(pre2);
    expect(pre1).toMatch(W3C);
    expect(handler1).toBe(pre1);
    expect(pre2).toMatch(W3C);
    expect(pre2!.slice(3, 35)).not.toBe(pre1!.slice(3, 35));
  });

  it("continues the caller's trace (its trace id and flags, a new parent id)", async () => {
    const caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const [pre, handler] = await seenTraceParents(caller);
    expect(handler).toBe(pre);
    expect(pre!.slice(0, 36)).toBe("00-0af7651916cd43dd8448eb211c80319c-");
    expect(pre!.slice(36, 52)).not.toBe("b7ad6b7169203331");
    expect(pre!.endsWith("-01")).toBe(true);
  });

  it("starts a new trace for a malformed or all-zero caller traceparent", () => {
    for (const bad of ["junk", "00-00000000000000000000000000000000-b7ad6b7169203331-01", ""]) {
      const made = invocationTraceParent(bad);
      expect(made).toMatch(W3C);
      expect(made).not.toContain("00000000000000000000000000000000");
    }
  });
});

describe("log hooks", () => {
  it("run for each log line of an invocation, with its context, and may change level and message", async () => {
    const seen: Array<[string, string, string, string | undefined]> = [];
    const shim = loadApp((app) => {
      app.http("logging", {
        handler: (_request, context) => {
          context.log("first line");
          context.warn("second line");
          return { body: "ok" };
        },
      });
      app.hook.log((context) => {
        seen.push([
          context.level,
          context.message,
          context.category,
          context.invocationContext?.functionName,
        ]);
        if (context.message === "second line") {
          context.message = "second line, redacted";
          context.level = "error";
        }
      });
    });
    await invokeAsWorker(
      shim,
      shim.functions.get("logging")!,
      { trigger: { http: { method: "GET", url: "http://127.0.0.1/api/logging" } } },
      log,
    );
    expect(seen).toEqual([
      ["information", "first line", "user", "logging"],
      ["warning", "second line", "user", "logging"],
    ]);
    expect(logLines).toContain("information logging: first line");
    expect(logLines).toContain("error logging: second line, redacted");
  });
});
