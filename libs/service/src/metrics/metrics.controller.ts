import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { register } from 'prom-client';

/** `GET /metrics`: every metric of the service in Prometheus' text format. */
@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  @Get()
  @ApiOperation({ summary: 'Prometheus metrics (docs/observability.md).' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: "Prometheus' text exposition format" })
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}
