import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Plan, PrivacyMode, Region } from '@tollgate/contracts';

@Entity({ name: 'tenants' })
export class Tenant {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text', unique: true })
  name!: string;

  @Column({ type: 'text' })
  plan!: Plan;

  @Column({ type: 'text' })
  region!: Region;

  @Column({ name: 'privacy_mode', type: 'text' })
  privacyMode!: PrivacyMode;

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
