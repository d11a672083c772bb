import { hostApp } from "./fidelityHost";

/**
 * Fidelity: what the host cannot run refuses the start, naming the function and the feature (the bin exits 1),
 * here with the storage bindings of Microsoft's v4 samples (a queue output, a blob input, a queue trigger).
 */
const APP = `
const { app, input, output } = require("@azure/functions");

const queueOutput = output.storageQueue({ queueName: "outqueue", connection: "AzureWebJobsStorage" });
app.http("enqueue", {
  methods: ["POST"],
  extraOutputs: [queueOutput],
  handler: (request, context) => {
    context.extraOutputs.set(queueOutput, "hello");
    return { status: 202 };
  },
});

const blobInput = input.storageBlob({ path: "samples/{queueTrigger}", connection: "AzureWebJobsStorage" });
app.storageQueue("copyBlob", {
  queueName: "copyqueue",
  connection: "AzureWebJobsStorage",
  extraInputs: [blobInput],
  handler: () => undefined,
});
`;

describe("what the host refuses, hosted by the bin", () => {
  it("does not start an app with storage bindings, and says which function uses which", async () => {
    const started = hostApp(APP);
    await expect(started).rejects.toThrow(/the host exited \(1\)/);
    const message = await started.catch((error: unknown) => (error as Error).message);
    expect(message).toContain(
      "The local host cannot run every registration of this app, so it does not start",
    );
    expect(message).toMatch(/function "enqueue": output binding queue "[^"]+"/);
    expect(message).toContain('function "copyBlob": trigger queueTrigger');
    expect(message).toMatch(/function "copyBlob": input binding blob "[^"]+"/);
  }, 60_000);
});
