import { applyDecorators, type INestApplication } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiParam,
  ApiProperty,
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
} from '@nestjs/swagger';

/** Where each service describes its HTTP API: the UI (its assets come from this service, no CDN) and the JSON. */
export const OPENAPI_UI = 'docs';
export const OPENAPI_JSON = 'docs-json';

/** The body of every 4xx and 5xx, as Nest's exception filter writes it. */
export class ErrorView {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    description: 'What is wrong: one message, or one per invalid field.',
    example: ['items.0.quantity must not be less than 1'],
  })
  message: string | string[];

  @ApiProperty({ example: 'Bad Request' })
  error: string;
}

/** Documents a lookup by a UUID path parameter (ParseUUIDPipe): 400 when it is not one, 404 (`notFound`) when nothing has it. */
export function ApiUuidLookup(param: string, what: string, notFound: string): MethodDecorator {
  return applyDecorators(
    ApiParam({ name: param, format: 'uuid' }),
    ApiBadRequestResponse({ type: ErrorView, description: `The ${what} is not a UUID.` }),
    ApiNotFoundResponse({ type: ErrorView, description: notFound }),
  );
}

/** Serves the service's OpenAPI description at /docs (UI) and /docs-json. */
export function serveOpenApi(app: INestApplication, service: string, description: string): void {
  const config = new DocumentBuilder().setTitle(service).setDescription(description).setVersion('1').build();
  const document = closeRequestBodies(SwaggerModule.createDocument(app, config, { extraModels: [ErrorView] }));
  SwaggerModule.setup(OPENAPI_UI, app, document, {
    jsonDocumentUrl: OPENAPI_JSON,
    yamlDocumentUrl: 'docs-yaml',
    customSiteTitle: `${service} API`,
  });
}

/**
 * The global ValidationPipe refuses a field a body class does not declare (400): says so
 * in the schema of every request body and of the objects it contains.
 */
function closeRequestBodies(document: OpenAPIObject): OpenAPIObject {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Record<string, unknown>>;
  const closed = new Set<string>();
  const close = (schema: unknown): void => {
    if (typeof schema !== 'object' || schema === null) return;
    const ref = (schema as { $ref?: string }).$ref;
    if (ref) {
      const name = ref.slice(ref.lastIndexOf('/') + 1);
      if (closed.has(name) || !schemas[name]) return;
      closed.add(name);
      schemas[name].additionalProperties = false;
      return close(schemas[name]);
    }
    for (const value of Object.values(schema)) close(value);
  };
  for (const operations of Object.values(document.paths))
    for (const operation of Object.values(operations as Record<string, { requestBody?: unknown }>)) close(operation?.requestBody);
  return document;
}
