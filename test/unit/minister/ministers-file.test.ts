import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/pipeline-error.ts';
import { DEFAULT_MINISTERS_FILE, loadMinistersFile, parseMinisters } from '../../../src/stages/minister/ministers-file.ts';

const finance = { id: 'finance', name: 'Finance', description: 'Money.', keywords: ['budget'], categories: [{ id: 'budget', name: 'Budget', keywords: ['budget'] }] };

/** Parses `ministers` as JSON and returns the ConfigError message. */
function errorOf(ministers: unknown, source = 'm.json'): string {
  try {
    parseMinisters(JSON.stringify({ ministers }), source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

describe('ministers file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'era-ministers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parses JSON and YAML into the same ministers', () => {
    const yaml = `ministers:\n  - id: finance\n    name: Finance\n    description: Money.\n    keywords: [budget]\n    categories:\n      - { id: budget, name: Budget, keywords: [budget] }\n`;
    const fromYaml = parseMinisters(yaml, 'm.yaml');
    expect(parseMinisters(JSON.stringify({ ministers: [finance] }), 'm.json')).toEqual(fromYaml);
    expect(fromYaml[0]).toEqual(finance);
  });

  it('tells JSON from YAML by content when the name has no known extension', () => {
    expect(parseMinisters(JSON.stringify([finance]), 'inline')[0]?.id).toBe('finance');
    expect(parseMinisters('- id: finance\n  name: Finance\n  description: Money.\n  keywords: [budget]\n', 'inline')[0]?.id).toBe('finance');
  });

  it('adds general when the file does not define it, and keeps a configured one', () => {
    expect(parseMinisters(JSON.stringify([finance]), 'm.json').map((m) => m.id)).toEqual(['finance', 'general']);
    const general = { id: 'general', name: 'Misc', description: 'Other.', keywords: ['misc'] };
    const ids = parseMinisters(JSON.stringify([general, finance]), 'm.json');
    expect(ids.map((m) => m.id)).toEqual(['general', 'finance']);
    expect(ids[0]?.name).toBe('Misc');
  });

  it('defaults missing categories to none', () => {
    const { categories: _, ...bare } = finance;
    expect(parseMinisters(JSON.stringify([bare]), 'm.json')[0]?.categories).toEqual([]);
  });

  it('rejects duplicate minister ids, naming the file and the entry', () => {
    expect(errorOf([finance, { ...finance, name: 'Again' }], 'dup.json')).toMatch(/ministers file dup\.json: ministers\[1\]: id "finance" is used twice/);
  });

  it('rejects duplicate category ids within a minister', () => {
    const twice = { ...finance, categories: [finance.categories[0], finance.categories[0]] };
    expect(errorOf([twice])).toMatch(/ministers\[0\] \(finance\)\.categories\[1\]: id "budget" is used twice/);
  });

  it.each(['Finance', 'foreign affairs', '-lead', 'a/b', '', 'x'.repeat(65)])('rejects the minister id %j', (id) => {
    expect(errorOf([finance, { ...finance, id }])).toMatch(/ministers\[1\].*\.id: must be lowercase letters, digits/);
  });

  it('rejects a bad category id, naming minister, category and field', () => {
    const bad = { ...finance, categories: [{ id: 'Big Budget', name: 'B', keywords: ['x'] }] };
    expect(errorOf([bad])).toMatch(/ministers\[0\] \(finance\)\.categories\[0\] \(Big Budget\)\.id: must be lowercase/);
  });

  it.each(['name', 'description', 'keywords'])('requires the field %s', (field) => {
    const entry: Record<string, unknown> = { ...finance };
    delete entry[field];
    expect(errorOf([entry])).toMatch(new RegExp(`ministers\\[0\\] \\(finance\\)\\.${field}: is required`));
  });

  it('rejects empty keywords and unknown fields (typos)', () => {
    expect(errorOf([{ ...finance, keywords: [] }])).toMatch(/\(finance\)\.keywords: needs at least one keyword/);
    expect(errorOf([{ ...finance, keyword: ['x'] }])).toMatch(/\(finance\): unknown field\(s\) "keyword"/);
  });

  it('reports invalid JSON and YAML with the file name', () => {
    expect(() => parseMinisters('{ "ministers": [', 'broken.json')).toThrow(/ministers file broken\.json: not valid JSON/);
    expect(() => parseMinisters('ministers:\n  - id: [a\n', 'broken.yaml')).toThrow(/ministers file broken\.yaml: not valid YAML/);
  });

  it('loads a file from disk and names a missing one and MINISTERS_FILE', () => {
    const path = join(dir, 'ministers.json');
    writeFileSync(path, JSON.stringify({ ministers: [finance] }));
    expect(loadMinistersFile(path).map((m) => m.id)).toEqual(['finance', 'general']);
    const missing = join(dir, 'missing.yaml');
    expect(() => loadMinistersFile(missing)).toThrow(ConfigError);
    expect(() => loadMinistersFile(missing)).toThrow(new RegExp(`${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be read.*MINISTERS_FILE`));
  });

  it('loads the bundled config/ministers.yaml by default (also for an empty MINISTERS_FILE)', () => {
    expect(DEFAULT_MINISTERS_FILE).toMatch(/config[\\/]ministers\.yaml$/);
    expect(loadMinistersFile().map((m) => m.id)).toContain('general');
    expect(loadMinistersFile('')).toEqual(loadMinistersFile());
  });
});
