import { agentLog, composeStack, exitCodeOf } from "./composeStack";

// `npm run test:integration:docker`: builds and starts docker-compose.yml (Azurite, the Event Hubs emulator, the
// function app on the Azure Functions host, the test agent), lets the test-agent run the integration suite
// against the real host, and passes when the suite inside passed. Needs a Docker engine (not available on our
// machines or in our CI).

it("runs the integration suite in the test-agent container against the composed function app", async () => {
  const stack = await composeStack().up();
  try {
    const log = await agentLog(stack);
    process.stdout.write(log);
    expect(exitCodeOf(log)).toBe(0);
  } finally {
    await stack.down();
  }
});
