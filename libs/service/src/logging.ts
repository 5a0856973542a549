import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { Logger as NestLogger, type DynamicModule, type LoggerService } from '@nestjs/common';
import { Logger, LoggerModule, PinoLogger, type Params } from 'nestjs-pino';
import { pino, type LevelWithSilent } from 'pino';
import { build as prettyStream } from 'pino-pretty';
import type { LogContext } from '#messaging';
import { routeOf } from './http-route.js';

export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A service's logging: pino, for Nest's logger, for HTTP access lines and for the consumer path. */
export interface Logging {
  /** LoggerModule of nestjs-pino: HTTP access lines, and each request's id on the lines logged while it runs. */
  readonly module: DynamicModule;
  /** What Nest logs with (`new Logger(context)` anywhere ends up here). */
  readonly logger: LoggerService;
  /** Binds the order id, event id and type of a consumed event to every line logged while it is handled. */
  readonly context: LogContext;
}

/**
 * Logging for one service, set up before anything else so that every line, from the
 * first configuration error on, comes out one way: one JSON object per line with
 * `LOG_FORMAT=json` (service, level, time, context, msg, and the saga's fields), or
 * the same lines made readable for a person (pino-pretty, the default: `npm start`).
 * Both write asynchronously, so a reader that falls behind never stalls the service (a
 * synchronous write to a full pipe spins until it drains), and flush what is left when the
 * process exits, so the line before an exit is not lost. `LOG_LEVEL`
 * (default info) sets the level. The configuration validates both; an invalid value
 * falls back to the default here, and the configuration error then says what is wrong.
 */
export function setUpLogging(service: string, env: NodeJS.ProcessEnv = process.env): Logging {
  const format: LogFormat = env.LOG_FORMAT === 'json' ? 'json' : 'pretty';
  const level = (LOG_LEVELS as readonly string[]).includes(env.LOG_LEVEL ?? '') ? (env.LOG_LEVEL as LevelWithSilent) : 'info';
  const root = pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // With tracing on, each line logged inside a span names its trace (GET /orders/:id gives an order's).
      mixin: traceFields,
    },
    // Asynchronous: a reader of the output that falls behind (a full pipe) must never stall the service.
    // What is still buffered is written synchronously when the process exits.
    format === 'json'
      ? pino.destination({ sync: false })
      : prettyStream({
          sync: false,
          ignore: 'pid,hostname,service,context,req,res,reqId,responseTime,route,traceId,spanId',
          translateTime: 'SYS:HH:MM:ss.l',
          messageFormat: '{if context}[{context}] {end}{msg}',
        }),
  );
  const params: Params = {
    pinoHttp: {
      logger: root,
      quietReqLogger: true,
      // Probes and scrapes every few seconds would drown the rest.
      autoLogging: { ignore: (request) => /^\/(health|metrics)(\/|$|\?)/.test(request.url ?? '') },
      customLogLevel: accessLevel,
      customSuccessMessage: (request, response, ms) =>
        `${request.method} ${routeOrPath(request)} ${response.statusCode} ${Math.round(ms)} ms`,
      customErrorMessage: (request, response) => `${request.method} ${routeOrPath(request)} ${response.statusCode}`,
      customSuccessObject: (request, _response, value: object) => ({ ...value, route: routeOrPath(request) }),
      serializers: {
        req: (request: { id: unknown; method: string; url: string }) => ({ id: request.id, method: request.method, url: request.url }),
        res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
      },
    },
  };
  const pinoLogger = new PinoLogger(params);
  const logger = new Logger(pinoLogger, params);
  NestLogger.overrideLogger(logger);
  return {
    module: LoggerModule.forRoot(params),
    logger,
    context: { run: (bindings, work) => pinoLogger.runInContext(work, { bindings }), debug: root.isLevelEnabled('debug') },
  };
}

function traceFields(): { traceId?: string; spanId?: string } {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? { traceId: spanContext.traceId, spanId: spanContext.spanId } : {};
}

/**
 * An access line's level: a 5xx is an error, a 4xx a warning, a read that worked is
 * debug (dashboards and pollers read all the time), any other request info.
 */
function accessLevel(request: IncomingMessage, response: ServerResponse, error?: Error): LevelWithSilent {
  if (error || response.statusCode >= 500) return 'error';
  if (response.statusCode >= 400) return 'warn';
  return request.method === 'GET' || request.method === 'HEAD' ? 'debug' : 'info';
}

/** The route's pattern (`/orders/:id`) once Express matched one, else the path. */
function routeOrPath(request: IncomingMessage): string {
  return routeOf(request) ?? (request.url ?? '').split('?')[0];
}
