import { Injectable } from '@nestjs/common';
import { Sql } from '../database';

const COLUMN = /^([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)$/;

/** The recorded key check value (one row), and whether sealed data exists at all. */
@Injectable()
export class EncryptionRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Records `checkValue` unless one is recorded, and answers the recorded one: of instances
   * starting at once on an empty table, the first insert wins and the others read it.
   */
  async recordIfAbsent(checkValue: Buffer, now: Date): Promise<{ checkValue: Buffer; recorded: boolean }> {
    const inserted = await this.sql.count(
      `INSERT INTO encryption_key_check (id, check_value, recorded_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING`,
      [checkValue, now],
    );
    const row = await this.sql.one<{ checkValue: Buffer }>(
      'SELECT check_value AS "checkValue" FROM encryption_key_check WHERE id = 1',
    );
    return { checkValue: row!.checkValue, recorded: inserted === 1 };
  }

  async recorded(): Promise<Buffer | undefined> {
    const row = await this.sql.one<{ checkValue: Buffer }>(
      'SELECT check_value AS "checkValue" FROM encryption_key_check WHERE id = 1',
    );
    return row?.checkValue;
  }

  /** Moves the recorded value from `from` to `to`; false when `from` was not the one recorded. */
  async move(from: Buffer, to: Buffer, now: Date): Promise<boolean> {
    const count = await this.sql.count(
      'UPDATE encryption_key_check SET check_value = $2, recorded_at = $3 WHERE id = 1 AND check_value = $1',
      [from, to, now],
    );
    return count === 1;
  }

  /**
   * Whether any of these `table.column`s (the sealed-data registry's declarations) holds a value:
   * data sealed before check values were recorded.
   */
  async anyStored(columns: string[]): Promise<boolean> {
    for (const column of columns) {
      const match = COLUMN.exec(column);
      if (!match) throw new Error(`"${column}" is not a table.column`);
      const row = await this.sql.one<{ stored: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM "${match[1]}" WHERE "${match[2]}" IS NOT NULL) AS stored`,
      );
      if (row?.stored) return true;
    }
    return false;
  }
}
