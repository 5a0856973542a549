// A service's own database: one Kysely API over SQLite (the default) or PostgreSQL (DATABASE_URL).
export * from './database.js';
export * from './database-errors.js';
export * from './open-database.js';
