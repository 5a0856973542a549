import type { IncomingMessage } from 'node:http';

type RoutedRequest = IncomingMessage & { baseUrl?: string; route?: { path?: string } };

/** The pattern of the route Express matched (`/orders/:id`), or undefined when none took the request (Nest's not-found catch-all included). */
export function routeOf(request: RoutedRequest): string | undefined {
  const path = request.route?.path;
  return path === undefined || path.includes('*') ? undefined : `${request.baseUrl ?? ''}${path}`;
}
