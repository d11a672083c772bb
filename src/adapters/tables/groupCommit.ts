import { inPool } from "../../domain/pool";

/**
 * Group commit for entity-group transactions. Rows recorded while a flush is in flight wait and go out together
 * in the next flush, grouped by partition (up to 100 rows per transaction by default), so concurrent callers writing to the
 * same partitions share transactions instead of each sending its own. An idle writer flushes at once: no timer,
 * no added latency without load. Each caller's promise settles when every transaction holding one of its rows
 * has: it rejects with the first failure among them, and other callers' rows are unaffected.
 */
export interface KeyedRow {
  readonly partitionKey: string;
  readonly rowKey: string;
}

export type SubmitTransaction<R extends KeyedRow> = (
  partitionKey: string,
  rows: readonly R[],
) => Promise<unknown>;

interface Waiter {
  remaining: number;
  failure?: unknown;
  resolve(): void;
  reject(error: unknown): void;
}

interface Queued<R> {
  readonly row: R;
  readonly waiter: Waiter;
}

export interface GroupCommitOptions {
  /** Transactions in flight at once within a flush (default 16). */
  readonly parallel?: number;
  /** Most items handed to one `submit` (default 100, the entity-group transaction limit). */
  readonly maxPerTransaction?: number;
  /** Start a new transaction when a row key repeats in a partition (default true: one action per entity). */
  readonly distinctRowKeys?: boolean;
}

export class GroupCommitter<R extends KeyedRow> {
  private queue: Array<Queued<R>> = [];
  private flushing = false;

  private readonly parallel: number;
  private readonly maxPerTransaction: number;
  private readonly distinctRowKeys: boolean;

  constructor(
    private readonly submit: SubmitTransaction<R>,
    options: GroupCommitOptions = {},
  ) {
    this.parallel = options.parallel ?? 16;
    this.maxPerTransaction = options.maxPerTransaction ?? 100;
    this.distinctRowKeys = options.distinctRowKeys ?? true;
  }

  write(rows: readonly R[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { remaining: 0, resolve, reject };
      for (const row of rows) this.queue.push({ row, waiter });
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        await this.send(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async send(batch: ReadonlyArray<Queued<R>>): Promise<void> {
    const transactions = groupByPartition(batch, this.maxPerTransaction, this.distinctRowKeys);
    for (const t of transactions) for (const w of t.waiters) w.remaining++;
    await inPool(transactions, this.parallel, async (t) => {
      let failure: unknown;
      let failed = false;
      try {
        await this.submit(t.partitionKey, t.rows);
      } catch (error) {
        failed = true;
        failure = error;
      }
      for (const waiter of t.waiters) settle(waiter, failed, failure);
    });
  }
}

interface Transaction<R> {
  readonly partitionKey: string;
  readonly rows: R[];
  readonly waiters: Set<Waiter>;
}

/** Rows in arrival order per partition, cut into transactions of at most `max`; with `distinct`, a row key
 * repeated in a partition starts a new transaction (a transaction may not touch one entity twice). */
const groupByPartition = <R extends KeyedRow>(
  batch: ReadonlyArray<Queued<R>>,
  max: number,
  distinct: boolean,
): Array<Transaction<R>> => {
  const open = new Map<string, { t: Transaction<R>; keys: Set<string> }>();
  const all: Array<Transaction<R>> = [];
  for (const { row, waiter } of batch) {
    let current = open.get(row.partitionKey);
    if (current === undefined || current.t.rows.length >= max || (distinct && current.keys.has(row.rowKey))) {
      current = { t: { partitionKey: row.partitionKey, rows: [], waiters: new Set() }, keys: new Set() };
      open.set(row.partitionKey, current);
      all.push(current.t);
    }
    current.t.rows.push(row);
    current.keys.add(row.rowKey);
    current.t.waiters.add(waiter);
  }
  return all;
};

const settle = (waiter: Waiter, failed: boolean, failure: unknown): void => {
  if (failed && waiter.failure === undefined) waiter.failure = failure ?? new Error("transaction failed");
  waiter.remaining--;
  if (waiter.remaining > 0) return;
  if (waiter.failure === undefined) waiter.resolve();
  else waiter.reject(waiter.failure);
};
