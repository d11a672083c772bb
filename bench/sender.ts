/**
 * The delivery sender alone: CPU per signed POST and sends per second, 64 in flight, to a receiver in another
 * process (so the receiver's CPU is not counted). `npm run bench:sender -- [N]` (default 20,000 sends after 3,000
 * to warm up). Prints one line; a number to compare before and after a change to src/adapters/delivery.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";

import { makeWebhookSender } from "../src/adapters/delivery/webhookSender";

const RECEIVER = `
const http = require("node:http");
const server = http.createServer((request, response) => {
  request.resume();
  request.on("end", () => response.writeHead(200).end());
});
server.keepAliveTimeout = 5000;
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

const SECRET = `whsec_${Buffer.from("a-bench-secret-of-32-bytes-long!").toString("base64")}`;
const IN_FLIGHT = 64;

const main = async (): Promise<void> => {
  const sends = Number(process.argv[2] ?? 20_000);
  if (!Number.isSafeInteger(sends) || sends < 1) throw new Error("Usage: npm run bench:sender -- [sends]");
  const receiver = spawn(process.execPath, ["-e", RECEIVER], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const [line] = (await once(receiver.stdout, "data")) as [Buffer];
    const url = `http://127.0.0.1:${line.toString().trim()}/hook`;
    const sender = makeWebhookSender({
      connectTimeoutMs: 1000,
      timeoutMs: 5000,
      allowPrivateTargets: true,
      userAgent: "bench",
    });
    const body = JSON.stringify({ name: "ping", payload: { name: "bench" } });
    const run = async (n: number): Promise<void> => {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < n) {
          const id = next++;
          const result = await sender.send({
            deliveryId: `msg_${id}`,
            url,
            body,
            headers: {},
            secrets: [SECRET],
          });
          if (result.outcome.kind !== "delivered") throw new Error(`send ${id}: ${result.outcome.kind}`);
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    };
    await run(3000);
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    await run(sends);
    const used = process.cpuUsage(cpu);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    process.stdout.write(
      `sender: ${sends} signed POSTs, ${IN_FLIGHT} in flight: ${(sends / seconds).toFixed(0)}/s, ` +
        `${((used.user + used.system) / sends).toFixed(1)} us CPU per send\n`,
    );
    await sender.close();
  } finally {
    receiver.kill();
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
