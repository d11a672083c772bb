import { useCallback, useEffect, useRef, useState } from "preact/hooks";

/** The state of one load: its value, its error message and whether it is running; `reload` runs it again. */
export interface Loaded<T> {
  readonly value: T | undefined;
  readonly error: string | undefined;
  readonly loading: boolean;
  readonly reload: () => Promise<void>;
}

export const useLoad = <T>(load: () => Promise<T>, deps: ReadonlyArray<unknown>): Loaded<T> => {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const latest = useRef(0);
  const reload = useCallback(async () => {
    const mine = ++latest.current;
    setLoading(true);
    try {
      const next = await load();
      if (mine !== latest.current) return;
      setValue(next);
      setError(undefined);
    } catch (e) {
      if (mine === latest.current) setError(e instanceof Error ? e.message : String(e));
    } finally {
      if (mine === latest.current) setLoading(false);
    }
  }, deps);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { value, error, loading, reload };
};

/** Calls `tick` every `ms` while `on`. */
export const useInterval = (on: boolean, ms: number, tick: () => void): void => {
  const saved = useRef(tick);
  saved.current = tick;
  useEffect(() => {
    if (!on) return undefined;
    const timer = setInterval(() => saved.current(), ms);
    return () => clearInterval(timer);
  }, [on, ms]);
};

/** Runs an action, keeping its error message and a busy flag for the button that started it. */
export const useAction = (): {
  busy: boolean;
  error: string | undefined;
  run: (action: () => Promise<void>) => Promise<void>;
  clear: () => void;
} => {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const run = useCallback(async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(undefined) };
};
