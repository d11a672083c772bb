import net from "node:net";

/** A port setting: a number 0-65535 (0: any free port), or the default when unset. */
export const portSetting = (env: NodeJS.ProcessEnv, name: string, fallback: number): number => {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new Error(`${name} must be a port number from 0 to 65535 (0 means any free port)`);
  }
  return n;
};

/** Fails with a message naming the port and the variable when a fixed port is taken. */
export const ensurePortFree = async (port: number, variable: string): Promise<void> => {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === "EADDRINUSE"
            ? `Port ${port} is already in use: set ${variable} to another port (0 picks a free one)`
            : `Cannot listen on 127.0.0.1:${port} (${variable}): ${error.message}`,
        ),
      ),
    );
    server.listen(port, "127.0.0.1", () => server.close(() => resolve()));
  });
};
