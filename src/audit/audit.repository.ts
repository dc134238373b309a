import { Injectable } from '@nestjs/common';
import { Sql } from '../database';
import { AuditEntry } from './audit-entry.entity';

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

/** The audit log's table: rows are appended here and nowhere else. */
@Injectable()
export class AuditRepository {
  constructor(private readonly sql: Sql) {}

  async append(entries: NewAuditEntry[]): Promise<void> {
    await this.sql.repository(AuditEntry).insert(entries);
  }
}
