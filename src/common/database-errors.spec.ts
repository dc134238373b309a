import { DatabaseError } from 'pg';
import { isDatabaseUnavailable, isForeignKeyViolation, isUniqueViolation } from './database-errors';

/** What pg raises for an ErrorResponse from the server: a code, a severity, and the constraint if any. */
function serverError(code: string, severity: 'ERROR' | 'FATAL', message = 'refused', constraint?: string): Error {
  return Object.assign(new DatabaseError(message, 0, 'error'), { code, severity, constraint });
}

describe('isDatabaseUnavailable', () => {
  it('takes every refusal to start a session as unavailability, whatever its SQLSTATE', () => {
    const refusals = [
      serverError('55000', 'FATAL', 'database "authd" is not currently accepting connections'),
      serverError('53300', 'FATAL', 'sorry, too many clients already'),
      serverError('57P03', 'FATAL', 'the database system is starting up'),
      serverError('28000', 'FATAL', 'no pg_hba.conf entry for host'),
      serverError('3D000', 'FATAL', 'database "gone" does not exist'),
    ];
    for (const error of refusals)
      expect({ error: error.message, unavailable: isDatabaseUnavailable(error) }).toEqual({
        error: error.message,
        unavailable: true,
      });
  });

  it('takes cancelled statements, broken sockets and an exhausted pool as unavailability', () => {
    for (const error of [
      serverError('57014', 'ERROR', 'canceling statement due to statement timeout'),
      serverError('55P03', 'ERROR', 'canceling statement due to lock timeout'),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
    ]) {
      expect({ error: error.message, unavailable: isDatabaseUnavailable(error) }).toEqual({
        error: error.message,
        unavailable: true,
      });
    }
  });

  it('leaves errors of a statement (bugs, conflicts) alone', () => {
    for (const error of [
      serverError('55000', 'ERROR', 'object not in prerequisite state'),
      serverError('23505', 'ERROR', 'duplicate key value violates unique constraint'),
      serverError('42601', 'ERROR', 'syntax error'),
      new Error('something else'),
      'a string',
      null,
    ]) {
      expect(isDatabaseUnavailable(error)).toBe(false);
    }
  });
});

describe('isUniqueViolation and isForeignKeyViolation', () => {
  const unique = serverError('23505', 'ERROR', 'duplicate key', 'users_email_key');
  const foreignKey = serverError('23503', 'ERROR', 'violates foreign key constraint', 'sessions_user_id_fkey');

  it('read the SQLSTATE and the constraint pg reports', () => {
    expect(isUniqueViolation(unique)).toBe(true);
    expect(isUniqueViolation(unique, 'users_email_key')).toBe(true);
    expect(isUniqueViolation(unique, 'saml_providers_verified_domain_idx')).toBe(false);
    expect(isForeignKeyViolation(foreignKey)).toBe(true);
    expect(isUniqueViolation(foreignKey)).toBe(false);
    expect(isForeignKeyViolation(unique)).toBe(false);
  });

  it('take only what the server answered: an error merely carrying the code is not one', () => {
    const lookalike = Object.assign(new Error('duplicate key'), { code: '23505' });
    expect(isUniqueViolation(lookalike)).toBe(false);
    expect(isForeignKeyViolation(Object.assign(new Error('fk'), { code: '23503' }))).toBe(false);
  });
});
