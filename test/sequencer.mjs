import TestSequencer from '@jest/test-sequencer';
import { readFileSync } from 'node:fs';

/**
 * Jest's order (the last run's slowest files first), with an estimate for a file it has not timed:
 * on a fresh clone it would go by file size alone, and start a saga suite, which runs its tests on
 * a system for each backend and saga mode (`sagaVariants()`), last, leaving one worker idle at the end.
 */
export default class SlowestFirst extends TestSequencer {
  time(test) {
    const measured = super.time(test);
    if (measured != null) return measured;
    const source = readFileSync(test.path, 'utf8');
    // About a millisecond per byte of test file, four times that where every test runs in four systems.
    return source.length * (source.includes('sagaVariants()') ? 4 : 1);
  }
}
