import { IsNumber, IsString, Max, Min } from 'class-validator';
import { ServiceConfig } from '#service';

export class PaymentServiceConfig extends ServiceConfig {
  /** Share of charges the simulated gateway declines (0..1). */
  @IsNumber()
  @Min(0)
  @Max(1)
  PAYMENT_FAILURE_RATE: number = 0.3;

  /** Seed of the simulated decisions: same seed + order id → same decision. */
  @IsString()
  SIMULATION_SEED = 'demo';
}
