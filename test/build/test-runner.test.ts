import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const runner = join(__dirname, '..', '..', 'scripts', 'test.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [runner, ...args], { encoding: 'utf8', env: { ...process.env, CI: '' } });

describe('the test runner (npm test)', () => {
  it.each(['--help', '-h'])('%s prints the usage and runs nothing', (flag) => {
    const r = run(flag);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: npm test/);
    expect(r.stdout).toContain('--only STAGE');
    expect(r.stdout).not.toContain('=== ');
  });

  it('lists every stage, the Lambda runtimes Node 22 and 24 among them', () => {
    const r = run('--list');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').map((l) => l.split(/\s+/)[0])).toEqual(
      expect.arrayContaining(['build', 'lint', 'typecheck', 'jest', 'jest-node22', 'jest-node24', 'browser']),
    );
  });

  it('refuses an unknown option or stage before running anything', () => {
    const option = run('--no-such-option');
    expect(option.status).toBe(2);
    expect(option.stderr).toContain('unknown option --no-such-option');
    const stage = run('--only', 'lint,nope');
    expect(stage.status).toBe(2);
    expect(stage.stderr).toContain('unknown stage nope');
    expect(stage.stdout).not.toContain('=== ');
  });
});
