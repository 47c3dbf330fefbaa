/**
 * `npm run import -- products.csv|products.json [--url URL] [--api-key KEY] [--client-id ID]
 * [--client-secret SECRET] [--token-url URL] [--report FILE]`: loads
 * products through `POST /product-imports`, a batch at a time, with a progress bar on a terminal.
 * Prints how many rows were created, updated, unchanged and rejected, and each rejected row with its
 * line and reason; exits 1 when a row was rejected. Importing the same file again changes nothing.
 * It authenticates as an operations client with the OAuth client-credentials grant at the token URL
 * (Cognito's `https://<domain>/oauth2/token` on AWS) and sends the usage-plan API key. Defaults: the
 * embedded runtime (`http://localhost:3000`, its token endpoint, dev client and key `local-ops`), or
 * COMMERCE_API_URL, COMMERCE_API_KEY, COMMERCE_CLIENT_ID, COMMERCE_CLIENT_SECRET, COMMERCE_TOKEN_URL.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { clientCredentialsToken } from '../local/dev-credentials';
import { type FileRow, rowsOf } from './import-rows';

/** Rows per request: well inside the API's 500, its 256 KB body and its 29 s. */
const BATCH = 100;

interface RowResult {
  row: number;
  sku?: string;
  outcome: 'created' | 'updated' | 'unchanged' | 'rejected';
  error?: { code: string; message: string; details: { path?: string; message?: string; rule?: string }[] };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: {
      url: { type: 'string', default: process.env.COMMERCE_API_URL ?? 'http://localhost:3000' },
      'api-key': { type: 'string', default: process.env.COMMERCE_API_KEY ?? 'local-ops' },
      'client-id': { type: 'string', default: process.env.COMMERCE_CLIENT_ID ?? 'local-ops' },
      'client-secret': { type: 'string', default: process.env.COMMERCE_CLIENT_SECRET ?? 'local-ops-secret' },
      'token-url': { type: 'string', default: process.env.COMMERCE_TOKEN_URL },
      report: { type: 'string' },
    },
    allowPositionals: true,
  });
  const file = positionals[0];
  if (!file) {
    process.stderr.write(
      'usage: npm run import -- products.csv|products.json [--url URL] [--api-key KEY] [--client-id ID] [--client-secret SECRET] [--token-url URL] [--report FILE]\n',
    );
    return 2;
  }
  const rows = rowsOf(file, readFileSync(file, 'utf8'));
  let token: string;
  try {
    token = await clientCredentialsToken(
      values['token-url'] ?? `${values.url}/_local/oauth2/token`,
      values['client-id'] ?? '',
      values['client-secret'] ?? '',
    );
  } catch (error) {
    process.stderr.write(`No access token: ${(error as Error).message}\n`);
    return 1;
  }
  const started = Date.now();
  const bar = process.stderr.isTTY
    ? new SingleBar({
        format: 'importing [{bar}] {value}/{total} rows · {eta_formatted} left',
        hideCursor: true,
      })
    : undefined;
  bar?.start(rows.length, 0);
  const results: (RowResult & { line: number })[] = [];
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch: FileRow[] = rows.slice(i, i + BATCH);
    const response = await fetch(`${values.url}/product-imports`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        'x-api-key': values['api-key'] ?? '',
      },
      body: JSON.stringify({ products: batch.map((r) => r.product) }),
    });
    const body = (await response.json()) as { rows?: RowResult[]; error?: { code: string; message: string } };
    if (!response.ok || !body.rows) {
      bar?.stop();
      process.stderr.write(
        `The API refused the batch from line ${batch[0]?.line}: ${response.status} ${body.error?.code ?? ''} ${body.error?.message ?? ''}\n`,
      );
      return 1;
    }
    for (const r of body.rows) results.push({ ...r, line: batch[r.row]?.line ?? 0 });
    if (bar) bar.increment(batch.length);
    else process.stderr.write(`imported ${Math.min(i + BATCH, rows.length)}/${rows.length} rows\n`);
  }
  bar?.stop();
  const count = (outcome: RowResult['outcome']) => results.filter((r) => r.outcome === outcome).length;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `${rows.length} rows in ${seconds} s: ${count('created')} created, ${count('updated')} updated, ${count('unchanged')} unchanged, ${count('rejected')} rejected\n`,
  );
  for (const r of results.filter((x) => x.outcome === 'rejected')) {
    const reasons = (r.error?.details ?? [])
      .map((d) => `${d.rule ?? ''}${d.rule ? ' ' : ''}${d.path ?? ''}: ${d.message ?? ''}`.trim())
      .join('; ');
    process.stdout.write(
      `  line ${r.line}${r.sku ? ` (${r.sku})` : ''}: ${r.error?.code} — ${reasons || r.error?.message}\n`,
    );
  }
  if (values.report) writeFileSync(values.report, `${JSON.stringify(results, null, 2)}\n`);
  return count('rejected') > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
