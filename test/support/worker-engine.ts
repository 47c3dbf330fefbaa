/**
 * Runs in each Jest worker before its test files: the worker's own DynamoDB Local (global setup
 * starts one per worker) becomes `TEST_DYNAMODB_ENDPOINT`, which every test reads.
 */
const endpoints = (process.env.TEST_DYNAMODB_ENDPOINTS ?? '').split(',').filter(Boolean);
const worker = Number(process.env.JEST_WORKER_ID ?? '1');
if (endpoints.length > 0) process.env.TEST_DYNAMODB_ENDPOINT = endpoints[(worker - 1) % endpoints.length];

// Business metrics are EMF lines on stdout: off in tests, except where a test turns them on to read them.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
