import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from './database-errors';

/** What pg raises for an ErrorResponse from the server: a code and a severity. */
function serverError(code: string, severity: 'ERROR' | 'FATAL', message = 'refused'): Error {
  return Object.assign(new Error(message), { code, severity });
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

  it('looks through TypeORM’s wrapper', () => {
    const wrapped = new QueryFailedError('SELECT 1', [], serverError('57P01', 'FATAL', 'terminating connection'));
    expect(isDatabaseUnavailable(wrapped)).toBe(true);
  });

  it('leaves errors of a statement (bugs, conflicts) alone', () => {
    for (const error of [
      serverError('55000', 'ERROR', 'object not in prerequisite state'),
      serverError('23505', 'ERROR', 'duplicate key value violates unique constraint'),
      serverError('42601', 'ERROR', 'syntax error'),
      new Error('something else'),
    ]) {
      expect(isDatabaseUnavailable(error)).toBe(false);
      expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], error))).toBe(false);
    }
  });
});
