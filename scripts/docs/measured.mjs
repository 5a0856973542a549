// Figures the docs quote from a measurement are written into them by the command that
// measured them, never by hand: between `<!-- measured: NAME -->` and `<!-- /measured: NAME -->`,
// with the command and the date beside them. test/unit/measured-docs.spec.ts checks that each
// such block in the docs has a command here that writes it.
//
//   import { writeMeasured } from './docs/measured.mjs';
//   writeMeasured('docs/some-guide.md', 'some-figure', { command: 'npm run some-bench', markdown });
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The start and end markers of block `name`. */
export function markers(name) {
  return [`<!-- measured: ${name} -->`, `<!-- /measured: ${name} -->`];
}

/**
 * `text` with block `name` replaced by `markdown`, headed by the command and the date.
 * Throws if the block is missing or not closed: a doc that lost its markers is not rewritten blindly.
 */
export function replaceMeasured(text, name, { command, markdown, at = new Date() }) {
  const [start, end] = markers(name);
  const from = text.indexOf(start);
  const to = text.indexOf(end, from);
  if (from === -1 || to === -1) throw new Error(`no block "${start} … ${end}" to write`);
  const stamp = `_Written by \`${command}\` on ${at.toISOString().slice(0, 16).replace('T', ' ')} UTC._`;
  return `${text.slice(0, from + start.length)}\n${stamp}\n\n${markdown.trim()}\n${text.slice(to)}`;
}

/** Writes block `name` of the doc `file` (relative to the repository root). */
export function writeMeasured(file, name, options) {
  const absolute = path.join(ROOT, file);
  fs.writeFileSync(absolute, replaceMeasured(fs.readFileSync(absolute, 'utf8'), name, options));
}
