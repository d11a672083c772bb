import { inspect } from "node:util";

import { type LocalLog } from "./invocation";
import { currentInvocation } from "./invocationScope";

const describe = (error: unknown): string =>
  error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : inspect(error);

/**
 * Keeps the host serving when app code throws outside an invocation's promise (a setTimeout callback, an event
 * emitter, a promise nobody awaits): the error is logged, with the function's name when the code ran in an
 * invocation's scope (invocationScope.ts), instead of ending the process. Returns how to remove the handlers.
 */
export const installCrashGuard = (log: LocalLog): (() => void) => {
  const report = (kind: string) => (error: unknown) => {
    const name = currentInvocation()?.functionName;
    log(
      "error",
      name ?? "host",
      `${kind}${name === undefined ? "" : ` in function "${name}"`} (the host keeps running): ${describe(error)}`,
    );
  };
  const onException = report("uncaught exception");
  const onRejection = report("unhandled promise rejection");
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  return () => {
    process.off("uncaughtException", onException);
    process.off("unhandledRejection", onRejection);
  };
};
