import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The record of one re-pricing run: what was asked, with which prices, and what changed. */
@Entity({ name: 'reprice_jobs' })
export class RepriceJob {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  /** Request + price fingerprint: the same correction asked twice is one job. */
  @Column({ name: 'idempotency_key', type: 'text', unique: true })
  idempotencyKey!: string;

  @Column({ type: 'text', nullable: true })
  provider!: string | null;

  @Column({ type: 'text', nullable: true })
  model!: string | null;

  @Column({ name: 'from_time', type: 'timestamptz' })
  fromTime!: Date;

  @Column({ name: 'to_time', type: 'timestamptz' })
  toTime!: Date;

  @Column({ name: 'price_fingerprint', type: 'text' })
  priceFingerprint!: string;

  @Column({ type: 'text' })
  status!: 'running' | 'completed' | 'failed';

  @Column({ name: 'rows_examined', type: 'integer' })
  rowsExamined!: number;

  @Column({ name: 'rows_changed', type: 'integer' })
  rowsChanged!: number;

  @Column({ name: 'usd_delta', type: 'numeric', precision: 30, scale: 12 })
  usdDelta!: string;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'requested_at', type: 'timestamptz' })
  requestedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}
