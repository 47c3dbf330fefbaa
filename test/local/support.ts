import { Agent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import type { Context } from 'aws-lambda';
import type { LocalHandler } from '../../local/lambda';
import type { LocalLogger } from '../../local/log';

/** Polls `probe` until it returns a value other than undefined/false, or fails after the deadline. */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  description: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  body: Buffer;
  json(): unknown;
}

const agent = new Agent({ keepAlive: true });

/** An HTTP request with exact control over repeated headers and the body (fetch folds both). */
export function send(
  url: string,
  options: {
    method?: string;
    headers?: OutgoingHttpHeaders | [string, string][];
    body?: string | Buffer;
  } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    // A raw header list is sent as is, so it needs its own Host header (HTTP/1.1 requires one).
    const headers = Array.isArray(options.headers)
      ? [['Host', new URL(url).host], ...options.headers].flat()
      : options.headers;
    const req = httpRequest(url, { method: options.method ?? 'GET', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body,
          json: () => JSON.parse(body.toString('utf8')),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Destroys the keep-alive sockets of {@link send}, so Jest sees no open handles. */
export function closeConnections(): void {
  agent.destroy();
}

/** A handler that records its calls and answers with `answer(event, context)`. */
export function recorder<E>(
  answer: (event: E, context: Context) => unknown = () => undefined,
): LocalHandler & {
  calls: { event: E; context: Context }[];
} {
  const calls: { event: E; context: Context }[] = [];
  const handler = async (event: unknown, context: Context) => {
    calls.push({ event: event as E, context });
    return answer(event as E, context);
  };
  return Object.assign(handler, { calls });
}

/** A logger that keeps what it was told, for assertions on bug signals. */
export function memoryLogger(): LocalLogger & { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  return {
    errors,
    warnings,
    info: () => {},
    warn: (message) => warnings.push(message),
    error: (message, error) => errors.push(error === undefined ? message : `${message} ${String(error)}`),
  };
}
