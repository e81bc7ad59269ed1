/** DATABASE_URL is checked at start as `pg` will read it: a bad port names the setting and why. */
import { describe, expect, it } from 'vitest';
import { databaseUrlProblem, hidePassword } from '../../../src/config/database-url.ts';
import { loadConfig } from '../../../src/config/load.ts';

describe('DATABASE_URL', () => {
  it('accepts what pg reads: host and port, IPv6, no port, a socket directory, an empty host', () => {
    for (const url of ['postgres://postgres@127.0.0.1:15432/postgres', 'postgresql://u:p@db.example:5432/x?sslmode=require', 'postgres://u@[::1]:5432/db', 'postgres://u@localhost/db', 'postgres://u@/db?host=/var/run/postgresql', 'postgres:///db']) {
      expect(databaseUrlProblem(url), url).toBeUndefined();
      expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
    }
  });

  it('refuses a port that is not a number or out of range, naming the port', () => {
    expect(databaseUrlProblem('postgres://u@127.0.0.1:99999/db')).toMatch(/^its port 99999 is out of range \(1 to 65535\): write host:port/);
    expect(databaseUrlProblem('postgres://u@127.0.0.1:0/db')).toMatch(/^its port 0 is out of range/);
    expect(databaseUrlProblem('postgres://u@127.0.0.1:abc/db')).toMatch(/^its port "abc" is not a number/);
    expect(databaseUrlProblem('postgres://u@[::1]:x/db')).toMatch(/^its port "x" is not a number/);
  });

  it('is one line naming DATABASE_URL, the value without its password, and the cause', () => {
    let message = '';
    try {
      loadConfig({ DATABASE_URL: 'postgres://u:hunter2@127.0.0.1:99999/db' });
      expect.unreachable();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^invalid configuration: DATABASE_URL="postgres:\/\/u:\*\*\*@127\.0\.0\.1:99999\/db" is invalid \(its port 99999 is out of range/);
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('\n');
  });

  it('hides only the password of a URL', () => {
    expect(hidePassword('postgres://u:p%40ss@h:1/db')).toBe('postgres://u:***@h:1/db');
    expect(hidePassword('postgres://u@h:1/db')).toBe('postgres://u@h:1/db');
    expect(hidePassword('not a url')).toBe('not a url');
  });
});
