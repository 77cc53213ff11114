// The refresh rule both policy stores follow (direct and snapshot mode), on a
// fake clock and fixed jitter: the TTL jitter, the backoff after failures and
// its cap, and one refresh at a time.
import { RefreshSchedule } from '../../functions/aws/refresh-schedule';

const TTL_S = 60;

function schedule(random: number) {
  const clock = { t: 1_000_000 };
  return {
    clock,
    schedule: new RefreshSchedule(
      TTL_S,
      () => clock.t,
      () => random,
    ),
  };
}

test('is due at once, and a success puts the next refresh between 90% and 100% of the TTL', () => {
  for (const [random, after] of [
    [0, 60_000],
    [0.5, 57_000],
    [0.999, 54_006],
  ] as const) {
    const { clock, schedule: s } = schedule(random);
    expect(s.due()).toBe(true);
    s.succeeded();
    expect(s.dueAt - clock.t).toBeCloseTo(after, 6);
  }
});

test('failures back off from 1 s, doubling, capped at the TTL, jittered over the upper half; a success resets the count', () => {
  const { clock, schedule: s } = schedule(1);
  // random() = 1: the top of each range, i.e. the backoff itself.
  expect([1, 2, 3, 4, 5, 6, 7, 8].map(() => s.failed())).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
  expect(s.failures).toBe(8);
  expect(s.dueAt).toBe(clock.t + 60_000);
  s.succeeded();
  expect(s.failures).toBe(0);
  expect(s.failed()).toBe(1_000);
  expect(schedule(0).schedule.failed()).toBe(500); // the bottom of the first range: half the backoff
});

test('due() records the clock reading it made, and a refresh reads it again when it ends', async () => {
  const { clock, schedule: s } = schedule(0);
  expect(s.checkedAt).toBeUndefined();
  const refreshing = s.refreshIfDue(async () => {
    clock.t += 250; // the refresh takes time
    s.succeeded();
  });
  expect(s.checkedAt).toBe(1_000_000);
  await refreshing;
  expect(s.checkedAt).toBe(1_000_250);
  expect(s.refreshIfDue(() => Promise.reject(new Error('not due, not called')))).toBeUndefined();
  expect(s.checkedAt).toBe(1_000_250);
});

test('never runs two refreshes at once: a second caller joins the one in flight', async () => {
  const { schedule: s } = schedule(0);
  let runs = 0;
  let finish!: () => void;
  const refresh = () => {
    runs++;
    return new Promise<void>((resolve) => {
      finish = resolve;
    });
  };
  const first = s.run(refresh);
  const second = s.run(refresh);
  expect(second).toBe(first);
  finish();
  await Promise.all([first, second]);
  expect(runs).toBe(1);
  await s.run(async () => {
    runs++;
  });
  expect(runs).toBe(2);
});
