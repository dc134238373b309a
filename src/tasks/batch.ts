import type { Sql } from '../database/sql';

export const BATCH_SIZE = 1000;

/**
 * Deletes the rows of `table` matching `where`, a thousand at a time, so a large backlog never
 * holds long locks. Returns how many rows went. Called by the repository that owns `table`.
 */
export async function deleteInBatches(sql: Sql, table: string, where: string, parameters: unknown[]): Promise<number> {
  let deleted = 0;
  for (;;) {
    const count = await sql.count(
      `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE ${where} LIMIT ${BATCH_SIZE})`,
      parameters,
    );
    deleted += count;
    if (count < BATCH_SIZE) return deleted;
  }
}
