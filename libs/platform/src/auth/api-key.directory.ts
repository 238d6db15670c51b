import { Injectable } from '@nestjs/common';
import type { GovernanceApiKeySnapshotV1 } from '@tollgate/contracts';
import type { Caller } from './caller';
import { hashApiKey } from './api-key';

interface Entry {
  caller: Caller;
  expiresAt: number | null;
}

/**
 * The in-memory copy of every tenant's API keys, fed by guardrails' compacted snapshots, so that
 * authenticating a call never waits on another service. Keys are held only as hashes.
 */
@Injectable()
export class ApiKeyDirectory {
  private readonly byHash = new Map<string, Entry>();
  private readonly hashesByTenant = new Map<string, string[]>();
  private snapshotsApplied = 0;

  /** A tenant's snapshot is its whole truth: it replaces that tenant's previous keys. */
  apply(snapshot: GovernanceApiKeySnapshotV1): void {
    for (const hash of this.hashesByTenant.get(snapshot.tenantId) ?? []) this.byHash.delete(hash);
    const hashes: string[] = [];
    if (snapshot.tenant.active) {
      for (const key of snapshot.keys) {
        if (!key.active) continue;
        hashes.push(key.hash);
        this.byHash.set(key.hash, {
          caller: {
            tenantId: snapshot.tenantId,
            tenantName: snapshot.tenant.name,
            apiKeyId: key.id,
            userId: key.userId,
            plan: snapshot.tenant.plan,
            region: snapshot.tenant.region,
            privacyMode: snapshot.tenant.privacyMode,
          },
          expiresAt: key.expiresAt ? Date.parse(key.expiresAt) : null,
        });
      }
    }
    this.hashesByTenant.set(snapshot.tenantId, hashes);
    this.snapshotsApplied += 1;
  }

  /** The caller a plaintext key belongs to, or undefined when it is unknown, revoked or expired. */
  resolve(plaintextKey: string, now = Date.now()): Caller | undefined {
    const entry = this.byHash.get(hashApiKey(plaintextKey));
    if (!entry) return undefined;
    if (entry.expiresAt !== null && entry.expiresAt <= now) return undefined;
    return entry.caller;
  }

  get loaded(): boolean {
    return this.snapshotsApplied > 0;
  }

  get size(): number {
    return this.byHash.size;
  }
}
