import type { Plan, PrivacyMode, Region } from '@tollgate/contracts';

/** Who is calling, as resolved from their API key. */
export interface Caller {
  tenantId: string;
  tenantName: string;
  apiKeyId: string;
  userId: string | null;
  plan: Plan;
  region: Region;
  privacyMode: PrivacyMode;
}
