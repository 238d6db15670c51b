import { isUntracedPath } from './instrumentations';

describe('isUntracedPath', () => {
  it.each(['/healthz', '/readyz', '/metrics', '/metrics?name[]=x', '/healthz/'])('leaves %s untraced', (url) => {
    expect(isUntracedPath(url)).toBe(true);
  });

  it.each(['/', '/v1/chat/completions', '/metricsx', '/api/v1/healthz', undefined])('traces %s', (url) => {
    expect(isUntracedPath(url)).toBe(false);
  });
});
