import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..', '..');

interface MeasuredModule {
  replaceMeasured: (text: string, name: string, options: { command: string; markdown: string; at?: Date }) => string;
}

const { replaceMeasured } = (await import(pathToFileURL(join(ROOT, 'scripts', 'docs', 'measured.mjs')).href)) as MeasuredModule;

function files(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
    .map((entry) => join(entry.parentPath, entry.name));
}

const DOCS = [join(ROOT, 'README.md'), join(ROOT, 'PHASE5-STREAMING-SAGA.md'), ...files(join(ROOT, 'docs'), '.md')];
const SCRIPTS = files(join(ROOT, 'scripts'), '.mjs').map((file) => readFileSync(file, 'utf8'));

describe('measured figures in the docs', () => {
  it('replaces a block, stamped with the command and the date, and nothing around it', () => {
    const text = 'before\n<!-- measured: x -->\nold 1\nold 2\n<!-- /measured: x -->\nafter\n';
    const at = new Date('2026-11-27T08:30:00Z');
    expect(replaceMeasured(text, 'x', { command: 'npm run y', markdown: '| a |\n', at })).toBe(
      'before\n<!-- measured: x -->\n_Written by `npm run y` on 2026-11-27 08:30 UTC._\n\n| a |\n<!-- /measured: x -->\nafter\n',
    );
    expect(() => replaceMeasured('no markers', 'x', { command: 'c', markdown: 'm' })).toThrow(/no block/);
  });

  // A figure copied by hand goes stale silently; one written by its command says when and how it was measured.
  const blocks = DOCS.flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/<!-- measured: ([\w-]+) -->\n([\s\S]*?)<!-- \/measured: \1 -->/g)].map(
      ([, name, body]) => [relative(ROOT, file), name, body] as const,
    ),
  );

  it('each measured block is closed and says which command wrote it, and when', () => {
    const opened = DOCS.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/<!-- measured: ([\w-]+) -->/g)].map(([, name]) => name));
    expect(blocks.map(([, name]) => name).sort()).toEqual(opened.sort());
    expect(blocks.length).toBeGreaterThan(0);
    for (const [file, name, body] of blocks) {
      expect([file, name, body]).toEqual([
        file,
        name,
        expect.stringMatching(
          /^_Written by `(?:[A-Z_]+=\S+ )*(?:npm run [^`]+|\.\/test-saga\.sh --record)` on \d{4}-\d\d-\d\d \d\d:\d\d UTC\._\n/,
        ),
      ]);
    }
  });

  it('each measured block is written by a script', () => {
    for (const [file, name] of blocks) {
      const call = new RegExp(`writeMeasured\\(\\s*'${file}',\\s*'${name}'`);
      const writers = SCRIPTS.filter((source) => call.test(source));
      expect([file, name, writers.length]).toEqual([file, name, 1]);
    }
  });
});
