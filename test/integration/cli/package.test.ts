/**
 * The published package: `npm pack` (which builds dist/ through the `prepare` script) holds the
 * compiled CLI and the files it reads at run time, and nothing of src/, test/, bench/ or infra/;
 * unpacked beside the project's node_modules, its bin ingests the samples with plain node (no
 * tsx) exactly as the TypeScript sources do, and a package without dist/ says how to build it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'era-package-'));
const pkg = join(dir, 'package');

interface Run { code: number; stdout: string; stderr: string }

function run(file: string, args: string[], options: { cwd: string; env?: Record<string, string>; nodeArgs?: string[] }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...(options.nodeArgs ?? []), file, ...args], {
      cwd: options.cwd, env: { ...process.env, EMBEDDER: 'hash', LOG_LEVEL: 'warn', ...options.env }, timeout: 180_000, maxBuffer: 64 * 1024 * 1024,
    }, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }));
  });
}

let files: string[] = [];

beforeAll(async () => {
  const packed = await new Promise<Run>((resolve) => {
    execFile('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? 1 : 0, stdout, stderr }));
  });
  expect(packed.code, packed.stderr).toBe(0);
  // npm prints the build's output before the JSON when `prepare` runs.
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[\n'))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  files = info!.files.map((f) => f.path);
  await new Promise<void>((resolve, reject) => execFile('tar', ['-xzf', join(dir, info!.filename), '-C', dir], (e) => (e ? reject(e) : resolve())));
  // The package's dependencies, as `npm install era-ingest` would give them.
  symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the published package', () => {
  it('holds the compiled CLI, its SQL and migrations, the ministers file, the samples and the license, and no sources, tests or benchmarks', () => {
    for (const f of ['bin/era-ingest.js', 'dist/cli/main.js', 'dist/storage/sql/search.sql', 'dist/storage/migrations/001_init.sql', 'config/ministers.yaml', 'LICENSE', 'README.md', 'package.json']) {
      expect(files).toContain(f);
    }
    expect(files.some((f) => f.startsWith('samples/'))).toBe(true);
    expect(files.filter((f) => /^(src|test|bench|infra|scripts|\.cache|\.ci)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { license: string; dependencies: Record<string, string> };
    expect(manifest.license).toBe('Apache-2.0');
    expect(readFileSync(join(pkg, 'LICENSE'), 'utf8')).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    expect(Object.keys(manifest.dependencies)).not.toContain('tsx');
    expect(Object.keys(manifest.dependencies)).toContain('pgvector');
  });

  it('ingests and searches the samples with plain node, as the TypeScript sources do', async () => {
    const compiled = await run(join(pkg, 'bin/era-ingest.js'), ['run', 'samples', '--data-dir', join(dir, 'compiled'), '--json', '--no-progress'], { cwd: pkg });
    expect(compiled.code, compiled.stderr).toBe(0);
    const sources = await run(join(root, 'src/cli/main.ts'), ['run', 'samples', '--data-dir', join(dir, 'sources'), '--json', '--no-progress'], { cwd: pkg, nodeArgs: ['--import', 'tsx'] });
    expect(sources.code, sources.stderr).toBe(0);
    const [a, b] = [JSON.parse(compiled.stdout), JSON.parse(sources.stdout)] as Array<{ documents: number; chunks: number; ministers: Record<string, number>; failures: unknown[]; deadLetters: number }>;
    expect(a!.documents).toBeGreaterThan(0);
    expect({ documents: a!.documents, chunks: a!.chunks, ministers: a!.ministers, failures: a!.failures, deadLetters: a!.deadLetters })
      .toEqual({ documents: b!.documents, chunks: b!.chunks, ministers: b!.ministers, failures: [], deadLetters: 0 });

    const hits = await run(join(pkg, 'bin/era-ingest.js'), ['search', 'hospital waiting lists', '--data-dir', join(dir, 'compiled'), '-k', '2', '--json'], { cwd: pkg });
    expect(hits.code, hits.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(hits.stdout))).toMatch(/hospital/i);
  });

  it('says how to build when dist/ is missing', async () => {
    rmSync(join(pkg, 'dist'), { recursive: true });
    const r = await run(join(pkg, 'bin/era-ingest.js'), ['--help'], { cwd: pkg });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('era-ingest is not built: dist/cli/main.js is missing. Run `npm run build`');
  });
});
