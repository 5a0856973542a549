/**
 * Jest 30 + ts-jest in ESM mode (NestJS 12 is ESM-only). Run through `npm test`,
 * which sets NODE_OPTIONS=--experimental-vm-modules and brings up the broker.
 *   unit: pure domain logic and plumbing, no Kafka, no Nest app
 *   e2e:  the four services as real processes against a real Kafka broker
 */
const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^#contracts$': '<rootDir>/libs/contracts/src/index.ts',
    '^#contracts/testing$': '<rootDir>/libs/contracts/src/testing/event-builders.ts',
    '^#database$': '<rootDir>/libs/database/src/index.ts',
    '^#database/testing$': '<rootDir>/libs/database/src/testing/test-databases.ts',
    '^#domain$': '<rootDir>/libs/domain/src/index.ts',
    '^#messaging$': '<rootDir>/libs/messaging/src/index.ts',
    '^#service$': '<rootDir>/libs/service/src/index.ts',
    '^#service/tracing$': '<rootDir>/libs/service/src/tracing/start-tracing.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json', diagnostics: { warnOnly: false } }],
  },
};

export default {
  // e2e files start their own copy of the system (four processes) against the broker.
  testTimeout: 120_000,
  // The slowest files first, so that both workers stay busy to the end (test/sequencer.mjs).
  testSequencer: '<rootDir>/test/sequencer.mjs',
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts', '<rootDir>/test/unit/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
    },
    {
      // Needs three brokers and PostgreSQL: `npm run test:scale-out`, not part of `npm test`.
      ...shared,
      displayName: 'scale-out',
      testMatch: ['<rootDir>/test/scale-out/**/*.e2e-spec.ts'],
    },
    {
      // The fault suite, minutes per scenario: `npm run test:faults` (docs/reliability.md), not part of `npm test`.
      ...shared,
      displayName: 'faults',
      testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'],
    },
  ],
};
