import packageJson from "../package.json";

export const VERSION: string = packageJson.version;
export const USER_AGENT = `public-event-dispatcher/${VERSION}`;
