/** What the embedded runtime reports about itself; the handlers log through their own logger. */
export interface LocalLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

/**
 * Logs to the console. `quiet` keeps warnings and errors only: those are the bug signals
 * (a handler that throws, a delivery that ends in the dead-letter list).
 */
export function consoleLogger(options: { quiet?: boolean } = {}): LocalLogger {
  return {
    info: options.quiet ? () => {} : (message) => console.log(message),
    warn: (message) => console.warn(message),
    error: (message, error) => (error === undefined ? console.error(message) : console.error(message, error)),
  };
}

/** Drops everything; for tests that assert on behaviour, not on output. */
export const silentLogger: LocalLogger = { info: () => {}, warn: () => {}, error: () => {} };

/** A one-line description of anything thrown, for logs and the dead-letter list. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
