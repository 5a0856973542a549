/**
 * The direction of imports, checked in CI (`npm run lint:deps`):
 *
 *   libs/contracts   the event contract        imports nothing of ours, no Nest, no kafkajs, no database
 *   libs/domain      pure domain building blocks  imports contracts only
 *   libs/database    SQLite or PostgreSQL      imports nothing of ours
 *   libs/messaging   Kafka, outbox, inbox       imports contracts, domain and database
 *   libs/service     a service's assembly       imports messaging, database, contracts
 *   apps/<service>   one service                imports the libs, never another service;
 *                    its *.domain.ts files import contracts and domain only
 */
const INFRASTRUCTURE =
  '(^|node_modules/)(@types/)?(@nestjs/|kafkajs(/|$)|better-sqlite3(/|$)|pg(/|$)|pg-[a-z-]+(/|$)|kysely(/|$)|rxjs(/|$))';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'contracts-are-pure',
      comment: 'The event contract is what every service may know of the others: no framework, no broker client, no database.',
      severity: 'error',
      from: { path: '^libs/contracts/' },
      to: { path: [INFRASTRUCTURE, '^libs/(domain|database|messaging|service)/', '^apps/'] },
    },
    {
      name: 'domain-is-pure',
      comment: 'Pure building blocks of domain code: they depend on the contract only.',
      severity: 'error',
      from: { path: '^libs/domain/' },
      to: { path: [INFRASTRUCTURE, '^libs/(database|messaging|service)/', '^apps/'] },
    },
    {
      name: 'domain-files-are-pure',
      comment: "A service's *.domain.ts is its decisions as pure functions: contracts, domain and other domain files only.",
      severity: 'error',
      from: { path: '^apps/[^/]+/src/.+[.]domain[.]ts$' },
      to: { path: [INFRASTRUCTURE, '^libs/(database|messaging|service)/', '^apps/'], pathNot: '^apps/[^/]+/src/.+[.]domain[.]ts$' },
    },
    {
      name: 'database-stands-alone',
      comment: 'The database lib knows SQL, not sagas: it imports no other lib.',
      severity: 'error',
      from: { path: '^libs/database/' },
      to: { path: ['^libs/(contracts|domain|messaging|service)/', '^apps/'] },
    },
    {
      name: 'messaging-below-service',
      comment: 'The plumbing knows nothing of how a service is assembled.',
      severity: 'error',
      from: { path: '^libs/messaging/' },
      to: { path: ['^libs/service/', '^apps/'] },
    },
    {
      name: 'libs-never-import-apps',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'services-are-independent',
      comment: 'Services share only the libs: one service never imports another (the contract is the only coupling).',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'no-import-from-dist',
      comment: 'Source imports source; dist/ is build output.',
      severity: 'error',
      from: {},
      to: { path: '^dist/' },
    },
    { name: 'not-to-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      // "types" first: package.json "imports" map #contracts etc. to the TypeScript sources under that condition.
      conditionNames: ['types', 'import', 'node', 'default'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs'],
      mainFields: ['types', 'typings', 'module', 'main'],
    },
  },
};
