import { createReadStream, existsSync } from 'node:fs';
import { Controller, Get, Header, NotFoundException, Param, StreamableFile } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { dashboardAssets, type DashboardAsset } from './dashboard-assets.js';

/** Everything the page loads comes from this service: no inline code, no other host. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The live dashboard at `/`: a static page (apps/analytics-service/public) that draws
 * GET /analytics/stream with Chart.js, which is served from node_modules.
 */
@ApiExcludeController()
@Controller()
export class DashboardController {
  private readonly files = dashboardAssets();

  constructor() {
    const missing = [this.files.page, ...this.files.assets.values()].filter((asset) => !existsSync(asset.path));
    if (missing.length > 0) throw new Error(`dashboard: missing ${missing.map((asset) => asset.path).join(', ')}`);
  }

  @Get()
  @Header('Cache-Control', 'no-cache')
  @Header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
  @Header('X-Content-Type-Options', 'nosniff')
  page(): StreamableFile {
    return send(this.files.page);
  }

  @Get('assets/:file')
  @Header('Cache-Control', 'no-cache')
  @Header('X-Content-Type-Options', 'nosniff')
  asset(@Param('file') file: string): StreamableFile {
    const asset = this.files.assets.get(file);
    if (!asset) throw new NotFoundException(`no dashboard asset ${file}`);
    return send(asset);
  }
}

function send(asset: DashboardAsset): StreamableFile {
  return new StreamableFile(createReadStream(asset.path), { type: asset.type });
}
