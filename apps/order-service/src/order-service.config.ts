import { IsInt, Max, Min } from 'class-validator';
import { ServiceConfig } from '#service';

export class OrderServiceConfig extends ServiceConfig {
  /** A pending order with no outcome after this long is cancelled (and compensated). */
  @IsInt()
  @Min(1_000)
  @Max(86_400_000)
  SAGA_TIMEOUT_MS: number = 30_000;
}
