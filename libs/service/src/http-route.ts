import type { IncomingMessage } from 'node:http';

type RoutedRequest = IncomingMessage & { baseUrl?: string; route?: { path?: string } };

/** The pattern of the route Express matched (`/orders/:id`), or undefined when none took the request. */
export function routeOf(request: RoutedRequest): string | undefined {
  return request.route?.path === undefined ? undefined : `${request.baseUrl ?? ''}${request.route.path}`;
}
