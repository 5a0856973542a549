import { createHash, timingSafeEqual } from 'node:crypto';
import { ForbiddenException, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { InventoryServiceConfig } from '../inventory-service.config.js';

/**
 * Who may call an operator's endpoint (a restock): with ADMIN_TOKEN set, a request that
 * sends it as `Authorization: Bearer <token>`; without it, only a client on this host, as
 * `npm start` and ./test-saga.sh run (see `isLocalRequest` for what that takes).
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly config: InventoryServiceConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const token = this.config.ADMIN_TOKEN;
    if (token) {
      const given = /^bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (given !== undefined && sameSecret(given, token)) return true;
      throw new UnauthorizedException('an operator endpoint: send the service\'s ADMIN_TOKEN as "Authorization: Bearer <token>"');
    }
    if (isLocalRequest(request.socket.remoteAddress, request.headers)) return true;
    throw new ForbiddenException("an operator endpoint: only a client on the service's own host may call it while ADMIN_TOKEN is not set");
  }
}

/** Compares digests in constant time: the answer's timing tells nothing of the token, its length included. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

const LOCAL_HOSTS = /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$/i;

/**
 * A request from a client on this host: from a loopback address, addressed to a loopback
 * name (a page on another site that rebinds its name to 127.0.0.1 still sends its own Host),
 * and not relayed by a proxy on this host (which would make every remote client look local).
 * The forwarding headers are refused, never trusted: they would let anyone claim to be local.
 */
export function isLocalRequest(address: string | undefined, headers: Record<string, string | string[] | undefined>): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  const loopback = /^127(\.\d{1,3}){3}$/.test(v4) || address === '::1';
  const relayed = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip'].some((name) => headers[name] !== undefined);
  return loopback && !relayed && LOCAL_HOSTS.test(String(headers.host ?? ''));
}
