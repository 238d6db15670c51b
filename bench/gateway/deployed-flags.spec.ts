import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { chartGatewayNodeFlags, chartGatewaySamplingRatio, readChartGatewayNodeFlags, readChartGatewaySamplingRatio } from './deployed-flags';

const REPO_ROOT = join(__dirname, '..', '..');

describe("the chart's gateway node flags", () => {
  it("reads gateway.nodeFlags from the chart's values.yaml", () => {
    expect(readChartGatewayNodeFlags(REPO_ROOT)).toEqual(['--no-memory-reducer-favors-memory', '--no-allocation-site-pretenuring']);
  });

  it('are flags this Node accepts (it refuses an unknown V8 flag with "bad option")', () => {
    const run = (flags: string[]) => spawnSync(process.execPath, [...flags, '-e', '0'], { encoding: 'utf8' });
    const chart = run(readChartGatewayNodeFlags(REPO_ROOT));
    expect({ status: chart.status, stderr: chart.stderr }).toEqual({ status: 0, stderr: '' });
    const misspelt = run(['--no-memory-reducer-favours-memory']);
    expect({ status: misspelt.status, stderr: misspelt.stderr }).toEqual({ status: 9, stderr: expect.stringContaining('bad option') });
  });

  it('splits the words, allows none, and refuses anything else', () => {
    expect(chartGatewayNodeFlags('gateway:\n  nodeFlags: "--a=1  --b"\n')).toEqual(['--a=1', '--b']);
    expect(chartGatewayNodeFlags('gateway:\n  nodeFlags: ""\n')).toEqual([]);
    expect(() => chartGatewayNodeFlags('gateway:\n  replicaCount: 2\n')).toThrow(/gateway.nodeFlags is missing/);
    expect(() => chartGatewayNodeFlags('gateway:\n  nodeFlags: "--a; rm -rf /"\n')).toThrow(/not --flag or --flag=value: --a;, rm, -rf, \//);
  });
});

describe("the chart's gateway sampling ratio", () => {
  it("reads gateway.otel.samplerArg from the chart's values.yaml", () => {
    expect(readChartGatewaySamplingRatio(REPO_ROOT)).toBe(0.01);
  });

  it('falls back to global.otel.samplerArg where the gateway sets none, as the chart does, and refuses what is not a ratio', () => {
    expect(chartGatewaySamplingRatio('global:\n  otel:\n    samplerArg: 0.1\ngateway:\n  otel:\n    samplerArg: 0.01\n')).toBe(0.01);
    expect(chartGatewaySamplingRatio('global:\n  otel:\n    samplerArg: 0.1\ngateway:\n  otel:\n    samplerArg: null\n')).toBe(0.1);
    expect(chartGatewaySamplingRatio('global:\n  otel:\n    samplerArg: 0.1\ngateway:\n  otel:\n    samplerArg: 0\n')).toBe(0);
    expect(() => chartGatewaySamplingRatio('global:\n  otel:\n    samplerArg: 1.5\n')).toThrow(/not a number from 0 to 1: 1.5/);
    expect(() => chartGatewaySamplingRatio('gateway:\n  otel:\n    samplerArg: "0.1"\n')).toThrow(/not a number from 0 to 1/);
  });
});
