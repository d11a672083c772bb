import { parseCli, UsageError } from "./cliArgs";

describe("parseCli", () => {
  it.each<[ReadonlyArray<string>, unknown]>([
    [["start", "--app", "dir"], { command: "start", app: "dir", json: false, inMemory: false }],
    [
      ["start", "--app=dir", "--json", "--in-memory"],
      { command: "start", app: "dir", json: true, inMemory: true },
    ],
    [["start"], { command: "start", app: "/cwd", json: false, inMemory: false }],
    [["emulators", "--json"], { command: "emulators", json: true, inMemory: false }],
    [["emulators", "--in-memory"], { command: "emulators", json: false, inMemory: true }],
    [["help"], { command: "help" }],
    [["--help"], { command: "help" }],
  ])("reads %j", (argv, expected) => {
    expect(parseCli(argv, "/cwd")).toEqual(expected);
  });

  it.each<[ReadonlyArray<string>, RegExp]>([
    [[], /a command is needed/],
    [["serve"], /unknown command "serve"/],
    [["start", "--port", "1"], /unknown option "--port"/],
    [["start", "--app"], /--app needs a folder/],
    [["start", "--app", "--json"], /--app needs a folder/],
    [["emulators", "--app", "dir"], /unknown option "--app"/],
    [["help", "start"], /help takes no arguments/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseCli(argv, "/cwd")).toThrow(UsageError);
    expect(() => parseCli(argv, "/cwd")).toThrow(message);
  });
});
