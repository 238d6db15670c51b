import { ulid } from 'ulid';
import type { GovernanceApiKeySnapshotV1 } from '@tollgate/contracts';
import { ApiKeyDirectory } from './api-key.directory';
import { apiKeyPrefix, generateApiKey, hashApiKey, maskApiKey } from './api-key';

function snapshot(tenantId: string, keys: Array<{ key: string; active?: boolean; expiresAt?: string | null }>, tenantActive = true): GovernanceApiKeySnapshotV1 {
  return {
    id: ulid(),
    type: 'governance.apikey',
    version: 1,
    occurredAt: new Date().toISOString(),
    tenantId,
    tenant: { name: tenantId, plan: 'free', region: 'eu', privacyMode: 'none', active: tenantActive },
    keys: keys.map((k, i) => ({ id: `${tenantId}-k${i}`, hash: hashApiKey(k.key), prefix: apiKeyPrefix(k.key), userId: i === 0 ? 'u1' : null, active: k.active ?? true, expiresAt: k.expiresAt ?? null })),
  };
}

describe('ApiKeyDirectory', () => {
  const a = generateApiKey();
  const b = generateApiKey();

  it('resolves a key to its tenant and settings, and nothing for unknown keys', () => {
    const directory = new ApiKeyDirectory();
    expect(directory.loaded).toBe(false);
    directory.apply(snapshot('t1', [{ key: a }]));
    expect(directory.loaded).toBe(true);
    expect(directory.resolve(a)).toEqual({ tenantId: 't1', tenantName: 't1', apiKeyId: 't1-k0', userId: 'u1', plan: 'free', region: 'eu', privacyMode: 'none' });
    expect(directory.resolve(b)).toBeUndefined();
  });

  it("replaces a tenant's keys with each snapshot, so a removed key stops working", () => {
    const directory = new ApiKeyDirectory();
    directory.apply(snapshot('t1', [{ key: a }]));
    directory.apply(snapshot('t1', [{ key: b }]));
    expect(directory.resolve(a)).toBeUndefined();
    expect(directory.resolve(b)?.tenantId).toBe('t1');
  });

  it("never lets one tenant's snapshot touch another tenant's keys", () => {
    const directory = new ApiKeyDirectory();
    directory.apply(snapshot('t1', [{ key: a }]));
    directory.apply(snapshot('t2', [{ key: b }]));
    directory.apply(snapshot('t2', []));
    expect(directory.resolve(a)?.tenantId).toBe('t1');
    expect(directory.resolve(b)).toBeUndefined();
  });

  it('refuses revoked keys, expired keys and keys of a deactivated tenant', () => {
    const directory = new ApiKeyDirectory();
    const c = generateApiKey();
    directory.apply(snapshot('t1', [{ key: a, active: false }, { key: b, expiresAt: '2026-01-01T00:00:00Z' }, { key: c, expiresAt: '2099-01-01T00:00:00Z' }]));
    expect(directory.resolve(a)).toBeUndefined();
    expect(directory.resolve(b, Date.parse('2026-06-01T00:00:00Z'))).toBeUndefined();
    expect(directory.resolve(c, Date.parse('2026-06-01T00:00:00Z'))?.apiKeyId).toBe('t1-k2');
    directory.apply(snapshot('t1', [{ key: c }], false));
    expect(directory.resolve(c)).toBeUndefined();
  });
});

describe('API keys', () => {
  it('are tg- plus 43 url-safe characters, unique, and hashed as hex SHA-256', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^tg-[A-Za-z0-9_-]{43}$/);
    expect(generateApiKey()).not.toBe(key);
    expect(hashApiKey('tg-abc')).toBe('1c212bc5e4906469f3786f19f643ed91db5ef5b2db019a0ca681ca31aa0271ff'); // sha256sum of "tg-abc"
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(maskApiKey(key)).toBe(`${key.slice(0, 6)}...${key.slice(-4)}`);
  });
});
