/**
 * Business metrics as CloudWatch reads them: embedded-metric-format lines on stdout, in the
 * `ConnectedCommerce` namespace, once with the `service` dimension (what alarms read) and once more
 * per channel (what the dashboard's per-channel graphs read).
 */

interface Emf {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

function emitted(run: (metrics: typeof import('../../../shared/platform/metrics')) => void): Emf[] {
  const lines: string[] = [];
  const saved = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    jest.isolateModules(() => {
      run(require('../../../shared/platform/metrics'));
    });
  } finally {
    spy.mockRestore();
    process.env.POWERTOOLS_METRICS_DISABLED = saved;
  }
  return lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Emf);
}

describe('business metrics', () => {
  it('counts an order twice: for the service (alarms) and for its channel (dashboard)', () => {
    const lines = emitted(({ countMetric, BUSINESS_METRICS }) =>
      countMetric(BUSINESS_METRICS.ordersPlaced, 1, 'web'),
    );

    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line._aws.CloudWatchMetrics[0]).toMatchObject({
        Namespace: 'ConnectedCommerce',
        Metrics: [{ Name: 'OrdersPlaced', Unit: 'Count' }],
      });
      expect(line.OrdersPlaced).toBe(1);
      expect(line.service).toBe('connected-commerce');
    }
    expect(lines.map((l) => l._aws.CloudWatchMetrics[0]?.Dimensions[0]?.slice().sort())).toEqual([
      ['service'],
      ['channel', 'service'],
    ]);
    expect(lines[1]?.channel).toBe('web');
  });

  it('writes nothing for a count of zero, and one line for a count without a channel', () => {
    expect(
      emitted(({ countMetric, BUSINESS_METRICS }) => countMetric(BUSINESS_METRICS.holdsExpired, 0)),
    ).toEqual([]);
    const lines = emitted(({ countMetric, BUSINESS_METRICS }) =>
      countMetric(BUSINESS_METRICS.holdsExpired, 3),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]?.HoldsExpired).toBe(3);
  });
});
