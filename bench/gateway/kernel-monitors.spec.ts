import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describeKdamonds, runningKdamonds } from './kernel-monitors';

describe('kernel monitors in the machine line', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'kdamonds-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const write = (path: string, value: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), `${value}\n`);
  };

  it('reads the kdamonds that are on from DAMON sysfs, as on the thirteenth session machines', () => {
    write('0/state', 'on');
    write('0/contexts/0/operations', 'paddr');
    write('0/contexts/0/monitoring_attrs/intervals/sample_us', '500000');
    write('0/contexts/0/schemes/0/action', 'pageout');
    write('1/state', 'off');
    write('1/contexts/0/operations', 'vaddr');
    write('nr_kdamonds', '2');

    const kdamonds = runningKdamonds(root);
    expect(kdamonds).toEqual([{ operations: ['paddr'], sampleUs: 500_000, actions: ['pageout'] }]);
    const line = describeKdamonds(kdamonds);
    expect(line).toContain('kdamond: paddr, sampling every 500 ms, schemes: pageout');
    expect(line).toContain('p99');
  });

  it('says nothing where DAMON is absent or every kdamond is off', () => {
    expect(runningKdamonds(join(root, 'missing'))).toEqual([]);
    write('0/state', 'off');
    expect(runningKdamonds(root)).toEqual([]);
    expect(describeKdamonds([])).toBe('');
  });
});
