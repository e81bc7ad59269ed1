import { describe, expect, it } from 'vitest';
import { DependencyError, ValidationError } from '../../../src/errors/pipeline-error.ts';
import { SqlError, classifyDbError } from '../../../src/storage/errors.ts';

const pgError = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('database error classification', () => {
  it.each(['ECONNREFUSED', 'ECONNRESET', '57P01', '08006', '08001', '53300', '40001', '40P01', '55P03'])('%s is a retriable dependency failure', (code) => {
    const e = classifyDbError(pgError(code));
    expect(e).toBeInstanceOf(DependencyError);
    expect((e as DependencyError).retriable).toBe(true);
    expect((e as DependencyError).code).toBe('DEPENDENCY_UNAVAILABLE');
  });

  it('treats a statement timeout as a dependency timeout', () => {
    expect((classifyDbError(pgError('57014')) as DependencyError).code).toBe('DEPENDENCY_TIMEOUT');
  });

  it('recognises node-postgres connection failures that carry no code', () => {
    expect(classifyDbError(new Error('Connection terminated unexpectedly'))).toBeInstanceOf(DependencyError);
    expect(classifyDbError(new Error('timeout exceeded when trying to connect'))).toBeInstanceOf(DependencyError);
  });

  it.each(['23505', '42601', '22000', '42P01'])('%s is a non-retriable SQL error keeping its SQLSTATE', (code) => {
    const e = classifyDbError(pgError(code, 'bad'));
    expect(e).toBeInstanceOf(SqlError);
    expect((e as SqlError).retriable).toBe(false);
    expect((e as SqlError).sqlState).toBe(code);
    expect((e as SqlError).message).toContain(`SQLSTATE ${code}`);
  });

  it('passes pipeline and programmer errors through unchanged', () => {
    const v = new ValidationError('x');
    const t = new TypeError('y');
    expect(classifyDbError(v)).toBe(v);
    expect(classifyDbError(t)).toBe(t);
  });
});
