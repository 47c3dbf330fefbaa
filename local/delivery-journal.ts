import { mkdir, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventBridgeEvent } from 'aws-lambda';
import { syncDirectory, writeFileSynced } from './durable-files';
import { describeError, type LocalLogger, silentLogger } from './log';

/** One event on its way to one rule's function target, as it survives a crash of the runtime. */
export interface PendingDelivery {
  rule: string;
  functionName: string;
  event: EventBridgeEvent<string, unknown>;
  receivedAt: string;
}

/**
 * Where the bus keeps the deliveries it has accepted and not yet settled (delivered, or given up on
 * into the dead-letter list), so that an event PutEvents accepted reaches its targets at least once
 * even if the process dies first.
 */
export interface DeliveryJournal {
  /** Resolves once the deliveries are on stable storage; PutEvents answers only after that. */
  append(deliveries: readonly PendingDelivery[]): Promise<void>;
  /** The delivery is settled; it is not resumed again. */
  settle(delivery: PendingDelivery): Promise<void>;
  /** What a previous run accepted and did not settle. */
  pending(): Promise<PendingDelivery[]>;
}

/**
 * One small JSON file per pending delivery in a directory: written to a temporary name, fsynced,
 * renamed into place and the directory fsynced before `append` resolves; unlinked when settled.
 * Only deliveries to functions are journaled (the marketplace intake today), not the audit log's
 * records, so the fsyncs stay off the path of the table-stream events.
 */
export class FileDeliveryJournal implements DeliveryJournal {
  private ready?: Promise<void>;

  constructor(
    readonly directory: string,
    private readonly log: LocalLogger = silentLogger,
  ) {}

  async append(deliveries: readonly PendingDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.prepare();
    await Promise.all(
      deliveries.map(async (delivery) => {
        await writeFileSynced(this.fileOf(delivery), JSON.stringify(delivery));
      }),
    );
    await syncDirectory(this.directory);
  }

  async settle(delivery: PendingDelivery): Promise<void> {
    try {
      await unlink(this.fileOf(delivery));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  async pending(): Promise<PendingDelivery[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const found: PendingDelivery[] = [];
    for (const name of names.sort()) {
      const path = join(this.directory, name);
      // A temporary file is a delivery whose PutEvents never answered: its caller saw a failure.
      if (name.endsWith('.tmp')) {
        await unlink(path).catch(() => undefined);
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        const delivery = JSON.parse(await readFile(path, 'utf8')) as PendingDelivery;
        if (typeof delivery.rule !== 'string' || typeof delivery.event?.id !== 'string')
          throw new Error('not a delivery');
        found.push(delivery);
      } catch (error) {
        this.log.error(
          `bus: cannot read pending delivery ${path} (${describeError(error)}); set aside as .corrupt`,
        );
        await rename(path, `${path}.corrupt`).catch(() => undefined);
      }
    }
    return found.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
  }

  private prepare(): Promise<void> {
    this.ready ??= mkdir(this.directory, { recursive: true }).then(async (created) => {
      // A directory created now must itself survive a crash: sync its parent.
      if (created) await syncDirectory(join(this.directory, '..'));
    });
    return this.ready;
  }

  private fileOf(delivery: PendingDelivery): string {
    return join(this.directory, `${delivery.event.id}.${encodeURIComponent(delivery.rule)}.json`);
  }
}
