import { timingSafeEqual } from 'node:crypto';
import { ForbiddenException, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { InventoryServiceConfig } from '../inventory-service.config.js';

/**
 * Who may call an operator's endpoint (a restock): with ADMIN_TOKEN set, a request that
 * sends it as `Authorization: Bearer <token>`; without it, only a client on this host
 * (a loopback address), as `npm start` and ./test-saga.sh run. The proxy headers
 * (X-Forwarded-For) are not trusted: they would let anyone claim to be local.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly config: InventoryServiceConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const token = this.config.ADMIN_TOKEN;
    if (token) {
      const given = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (given !== undefined && sameSecret(given, token)) return true;
      throw new UnauthorizedException('an operator endpoint: send the service\'s ADMIN_TOKEN as "Authorization: Bearer <token>"');
    }
    if (isLoopback(request.socket.remoteAddress)) return true;
    throw new ForbiddenException("an operator endpoint: only a client on the service's own host may call it while ADMIN_TOKEN is not set");
  }
}

/** Compares in constant time, so the answer's timing tells nothing of the token. */
function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}
