import type { ScheduledEvent } from 'aws-lambda';
import type { LocalHandler } from '../../local/lambda';
import { type Scheduler, scheduledJobs, startScheduler } from '../../local/scheduler';
import { functions } from '../../shared/platform/definitions';
import { memoryLogger, recorder, waitFor } from './support';

describe('scheduler', () => {
  let scheduler: Scheduler | undefined;

  afterEach(async () => {
    await scheduler?.stop();
    scheduler = undefined;
  });

  const start = (handler: LocalHandler, intervalMs: number, log = memoryLogger()) => {
    scheduler = startScheduler({
      jobs: [{ functionName: 'ExpireHolds', intervalMs }],
      handlers: new Map([['ExpireHolds', handler]]),
      region: 'us-east-1',
      log,
    });
    return scheduler;
  };

  it('runs the function at its interval with a Scheduled Event', async () => {
    const sweeper = recorder<ScheduledEvent>();

    start(sweeper, 20);
    await waitFor(() => sweeper.calls.length >= 3, 'three runs');

    expect(sweeper.calls[0]?.event).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:000000000000:rule/ExpireHoldsSchedule'],
      detail: {},
    });
    expect(sweeper.calls[0]?.event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(new Set(sweeper.calls.map((call) => call.event.id)).size).toBe(sweeper.calls.length);
    expect(sweeper.calls[0]?.context.functionName).toBe('ExpireHolds');
  });

  it('never starts a run while the previous one is still going', async () => {
    let running = 0;
    let most = 0;
    const slow = recorder(async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 40));
      running -= 1;
    });

    const started = start(slow, 5);
    await waitFor(() => started.runs('ExpireHolds') >= 3, 'three completed runs');

    expect(most).toBe(1);
  });

  it('keeps running after a failed run, and logs the failure', async () => {
    const log = memoryLogger();
    const flaky = recorder(() => {
      if (flaky.calls.length === 1) throw new Error('sweep failed');
    });

    start(flaky, 10, log);
    await waitFor(() => flaky.calls.length >= 2, 'a run after the failure');

    expect(log.errors.join('\n')).toContain('sweep failed');
  });

  it('runs nothing more once stopped', async () => {
    const sweeper = recorder();
    const running = start(sweeper, 10);
    await waitFor(() => sweeper.calls.length >= 1, 'a first run');

    await running.stop();
    const runsAtStop = sweeper.calls.length;
    // Absence cannot be waited for: give it several intervals to (wrongly) run again.
    await new Promise((resolve) => setTimeout(resolve, 60));

    expect(sweeper.calls.length).toBe(runsAtStop);
  });

  describe('scheduledJobs', () => {
    it("takes each schedule's local rate from the definition unless overridden", () => {
      expect(scheduledJobs(functions)).toEqual([
        expect.objectContaining({ functionName: 'ApplyDatedPriceRules', intervalMs: 5_000 }),
        expect.objectContaining({ functionName: 'ExpireHolds', intervalMs: 1_000 }),
        expect.objectContaining({ functionName: 'RecomputeAvailability', intervalMs: 1_000 }),
      ]);
      expect(scheduledJobs(functions, { ExpireHolds: 20 })).toEqual([
        expect.objectContaining({ functionName: 'ApplyDatedPriceRules', intervalMs: 5_000 }),
        expect.objectContaining({ functionName: 'ExpireHolds', intervalMs: 20 }),
        expect.objectContaining({ functionName: 'RecomputeAvailability', intervalMs: 1_000 }),
      ]);
    });
  });
});
