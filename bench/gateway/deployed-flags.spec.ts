import { resolve } from 'node:path';
import { deployedNodeFlags, readDeployedNodeFlags } from './deployed-flags';

describe('deployedNodeFlags', () => {
  it("reads the Node flags of the repository's Dockerfile CMD", () => {
    expect(readDeployedNodeFlags(resolve(__dirname, '../..'))).toEqual(['--enable-source-maps', '--no-memory-reducer']);
  });

  it('reads flags with values and refuses a CMD it cannot read', () => {
    expect(deployedNodeFlags('FROM x\nCMD ["sh", "-c", "exec node --a --b=1.5 \\"dist/main.js\\""]\n')).toEqual(['--a', '--b=1.5']);
    expect(deployedNodeFlags('CMD ["sh", "-c", "exec node \\"dist/main.js\\""]')).toEqual([]);
    expect(() => deployedNodeFlags('CMD ["node", "dist/main.js"]')).toThrow(/no CMD of the form/);
  });
});
