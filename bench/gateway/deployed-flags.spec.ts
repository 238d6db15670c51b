import { join } from 'node:path';
import { chartGatewayNodeFlags, readChartGatewayNodeFlags } from './deployed-flags';

describe("the chart's gateway node flags", () => {
  it("reads gateway.nodeFlags from the chart's values.yaml (none by default)", () => {
    expect(readChartGatewayNodeFlags(join(__dirname, '..', '..'))).toEqual([]);
  });

  it('splits the words, allows none, and refuses anything else', () => {
    expect(chartGatewayNodeFlags('gateway:\n  nodeFlags: "--a=1  --b"\n')).toEqual(['--a=1', '--b']);
    expect(chartGatewayNodeFlags('gateway:\n  nodeFlags: ""\n')).toEqual([]);
    expect(() => chartGatewayNodeFlags('gateway:\n  replicaCount: 2\n')).toThrow(/gateway.nodeFlags is missing/);
    expect(() => chartGatewayNodeFlags('gateway:\n  nodeFlags: "--a; rm -rf /"\n')).toThrow(/not --flag or --flag=value: --a;, rm, -rf, \//);
  });
});
