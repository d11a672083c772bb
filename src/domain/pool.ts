/** Runs `work` over `items`, at most `limit` at a time (each worker takes the next item when it is free). */
export const inPool = async <A>(
  items: ReadonlyArray<A>,
  limit: number,
  work: (item: A, index: number) => Promise<void>,
): Promise<void> => {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) await work(items[i] as A, i);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
};
