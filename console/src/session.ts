/**
 * The function key, typed once per browser tab: kept in sessionStorage only (never in a URL, never in a cookie),
 * so it goes when the tab closes or the operator signs out.
 */
const KEY = "dispatcher.functionKey";

export const storedKey = (): string | undefined => sessionStorage.getItem(KEY) ?? undefined;
export const rememberKey = (key: string): void => sessionStorage.setItem(KEY, key);
export const forgetKey = (): void => sessionStorage.removeItem(KEY);
