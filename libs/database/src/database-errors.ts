/**
 * What a database error says about the message being handled: nothing, when the
 * database (or the connection to it) failed and a retry may succeed; something,
 * when the data broke a rule and no retry will help.
 */

/** SQLSTATE classes of PostgreSQL that are about the server or the connection, not the data. */
const POSTGRES_TRANSIENT_CLASSES = ['08', '40', '53', '57', '58'];
/** Node's socket errors on the way to the server. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

const POSTGRES_CONNECTION_MESSAGES =
  /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A database failure that says nothing about the input: the caller should retry later. */
export function isTransientDatabaseError(error: unknown): boolean {
  const code = codeOf(error);
  if (code?.startsWith('SQLITE_')) return !code.startsWith('SQLITE_CONSTRAINT');
  if (code && NETWORK_CODES.has(code)) return true;
  if (code && /^[0-9A-Z]{5}$/.test(code)) return POSTGRES_TRANSIENT_CLASSES.includes(code.slice(0, 2)) || code === '55P03';
  // node-postgres reports a connection lost mid-query, and a pool with no free connection in time, without a code.
  return error instanceof Error && POSTGRES_CONNECTION_MESSAGES.test(error.message);
}

/**
 * A transaction that lost to a concurrent one (PostgreSQL): a serialization
 * failure, a deadlock, or a unique key a concurrent transaction inserted first.
 * Running it again from the start decides on the winner's result.
 */
export function isRetryableConflict(error: unknown): boolean {
  const code = codeOf(error);
  return code === '40001' || code === '40P01' || code === '23505';
}
