import { parseArgs } from "node:util";

/** What a command may touch of the process: injected so tests drive commands in-process. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** stderr is a terminal: progress lines are rewritten in place. */
  readonly errIsTty: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stdin: AsyncIterable<Buffer | string> & { readonly isTTY?: boolean };
  readonly now: () => number;
}

export const processIo = (): CliIo => ({
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  errIsTty: process.stderr.isTTY,
  env: process.env,
  cwd: process.cwd(),
  stdin: process.stdin,
  now: () => Date.now(),
});

/** The command line is wrong (unknown option, missing value): exit code 2 with the command's usage. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** Something went wrong after the command line was understood: exit code 1, the message on stderr. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommandError";
  }
}

type OptionSpec = { readonly type: "boolean" } | { readonly type: "string"; readonly multiple?: boolean };
export type OptionsSpec = Readonly<Record<string, OptionSpec>>;

export type ParsedOptions<S extends OptionsSpec> = {
  readonly [K in keyof S]?: S[K] extends { type: "boolean" }
    ? boolean
    : S[K] extends { multiple: true }
      ? ReadonlyArray<string>
      : string;
};

export interface ParsedArgs<S extends OptionsSpec> {
  readonly options: ParsedOptions<S>;
  readonly positionals: ReadonlyArray<string>;
}

/**
 * Strict parsing (node:util parseArgs): `--name value` and `--name=value`; unknown options, missing values and
 * more positionals than allowed are usage errors. `--help`/`-h` is always accepted (options.help).
 */
export const parseCommandArgs = <S extends OptionsSpec>(
  args: ReadonlyArray<string>,
  spec: S,
  usage: string,
  maxPositionals: number,
): ParsedArgs<S> & { readonly help: boolean } => {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...spec, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // Not `instanceof Error`: node:util's errors come from another realm under jest's vm.
    const message = (error as { message?: unknown }).message;
    throw new UsageError(cleanParseMessage(typeof message === "string" ? message : String(error)), usage);
  }
  const { help, ...options } = parsed.values;
  if (help !== true && parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals.slice(maxPositionals).join(" ");
    throw new UsageError(`Unexpected argument ${extra}`, usage);
  }
  return {
    options: options as ParsedOptions<S>,
    positionals: parsed.positionals,
    help: help === true,
  };
};

/** parseArgs messages end with advice about "--" that does not apply here. */
const cleanParseMessage = (message: string): string => message.replace(/\. To specify a positional.*$/s, "");

/** `k=v` pairs of a repeatable option, e.g. `--attr name=me --attr serviceId=S`. */
export const keyValuePairs = (
  option: string,
  values: ReadonlyArray<string> | undefined,
  usage: string,
): Readonly<Record<string, string>> => {
  const result: Record<string, string> = {};
  for (const [i, value] of (values ?? []).entries()) {
    const at = value.indexOf("=");
    // The value is not echoed: a header value may be a credential.
    if (at <= 0) throw new UsageError(`--${option} expects key=value (occurrence ${i + 1} is not)`, usage);
    const key = value.slice(0, at).trim();
    if (key in result) throw new UsageError(`--${option} ${key} is given twice`, usage);
    result[key] = value.slice(at + 1);
  }
  return result;
};

/** 12345 -> "12,345" (the same on every locale). */
export const formatCount = (n: number): string => n.toLocaleString("en-US");

/**
 * Runs a command body and turns what it throws into an exit code: usage errors 2 (with the usage), command
 * errors and anything unexpected 1. Messages pass through `redact` first (SDK errors may quote secrets).
 */
export const runCommand = async (
  io: CliIo,
  name: string,
  redact: (text: string) => string,
  body: () => Promise<void>,
): Promise<number> => {
  try {
    await body();
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`dispatcher ${name}: ${redact(error.message)}\n\n${error.usage}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.err(`dispatcher ${name}: ${redact(message)}\n`);
    return 1;
  }
};

/** An in-memory CliIo (for tests and for driving commands from code): what was written is kept. */
export const bufferedIo = (
  overrides: Partial<CliIo> = {},
): { io: CliIo; stdout: () => string; stderr: () => string } => {
  const out: string[] = [];
  const err: string[] = [];
  const noStdin = Object.assign((async function* (): AsyncGenerator<Buffer> {})(), { isTTY: true });
  return {
    io: {
      out: (text) => void out.push(text),
      err: (text) => void err.push(text),
      errIsTty: false,
      env: {},
      cwd: process.cwd(),
      stdin: noStdin,
      now: () => Date.now(),
      ...overrides,
    },
    stdout: () => out.join(""),
    stderr: () => err.join(""),
  };
};
