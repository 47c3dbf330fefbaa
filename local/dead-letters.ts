/** Where a failed delivery came from: a bus rule's target, or a table stream's function. */
export type DeadLetterSource = 'bus' | 'stream';

/** One delivery that exhausted its retries, kept for `GET /_local/dlq`. */
export interface DeadLetter {
  source: DeadLetterSource;
  functionName: string;
  /** The bus rule (source `bus`) or the stream ARN (source `stream`). */
  origin: string;
  attempts: number;
  error: string;
  failedAt: string;
  /** The bus event, or the stream records that were not processed. */
  payload: unknown;
}

/**
 * The local stand-in for the rules' and the event source mapping's dead-letter queues: in memory,
 * bounded, newest kept. Operators on AWS look at an SQS queue; locally `GET /_local/dlq` lists these.
 */
export class DeadLetterQueue {
  private readonly entries: DeadLetter[] = [];

  constructor(private readonly capacity = 1000) {}

  /** Records a failed delivery, dropping the oldest when full. */
  add(entry: Omit<DeadLetter, 'failedAt'>): void {
    this.entries.push({ ...entry, failedAt: new Date().toISOString() });
    if (this.entries.length > this.capacity) this.entries.shift();
  }

  /** Dead letters in the order they failed, optionally of one source. */
  list(source?: DeadLetterSource): DeadLetter[] {
    return source ? this.entries.filter((entry) => entry.source === source) : [...this.entries];
  }

  get size(): number {
    return this.entries.length;
  }
}
