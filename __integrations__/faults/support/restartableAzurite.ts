import { type RunningAzurite, startAzurite } from "functions-local-host";

/**
 * An Azurite on a data folder that a test can stop (storage unreachable: connections refused) and start again on
 * the same ports and folder, so the connection string the runtime was given stays valid and the data is kept.
 * The first start takes free ports; every later one is fixed to them.
 */
export interface RestartableAzurite extends RunningAzurite {
  readonly location: string;
  isDown(): boolean;
  goDown(): Promise<void>;
  comeBack(): Promise<void>;
}

export const startRestartableAzurite = async (location: string): Promise<RestartableAzurite> => {
  let current: RunningAzurite | undefined = await startAzurite({ location });
  const { blobPort, tablePort, queuePort, connectionString } = current;
  return {
    location,
    blobPort,
    tablePort,
    queuePort,
    connectionString,
    get pid() {
      return current?.pid;
    },
    isDown: () => current === undefined,
    async goDown() {
      const running = current;
      current = undefined;
      await running?.stop();
    },
    async comeBack() {
      current ??= await startAzurite({ location, blobPort, tablePort, queuePort });
    },
    async stop() {
      const running = current;
      current = undefined;
      await running?.stop();
    },
  };
};
