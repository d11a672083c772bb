import { Webhook } from "standardwebhooks";

import { bufferedIo } from "./cliArgs";
import { startReceiver } from "./receiveCommand";

const SECRET = `whsec_${Buffer.from("a-receive-command-test-secret-32b").toString("base64")}`;

describe("dispatcher receive", () => {
  it("prints each delivery with its webhook-id and whether the signature verifies, answering the chosen status", async () => {
    const { io, stdout } = bufferedIo();
    const receiver = await startReceiver(io, { port: 0, secret: SECRET, status: 503 });
    try {
      const body = JSON.stringify({ name: "ping", payload: {} });
      const signed = new Webhook(SECRET).sign("msg_1", new Date(), body);
      const good = await fetch(`http://127.0.0.1:${receiver.port}/hook`, {
        method: "POST",
        body,
        headers: {
          "webhook-id": "msg_1",
          "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
          "webhook-signature": signed,
        },
      });
      expect(good.status).toBe(503);
      await fetch(`http://127.0.0.1:${receiver.port}/hook`, {
        method: "POST",
        body: body + " ",
        headers: {
          "webhook-id": "msg_2",
          "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
          "webhook-signature": signed,
        },
      });
      const lines = stdout();
      expect(lines).toMatch(/webhook-id=msg_1 signature verified -> 503/);
      expect(lines).toMatch(/webhook-id=msg_2 signature DOES NOT VERIFY/);
      expect(lines).toContain(body);
    } finally {
      await receiver.close();
    }
  });
});
