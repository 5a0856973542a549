import { IsNumber, IsOptional, IsString, Matches, Max, MinLength, Min } from 'class-validator';
import { ServiceConfig } from '#service';

export class InventoryServiceConfig extends ServiceConfig {
  /** Share of paid orders the simulated warehouse fails to reserve (0..1). */
  @IsNumber()
  @Min(0)
  @Max(1)
  INVENTORY_FAILURE_RATE: number = 0.2;

  /** Stock the first start puts on the shelf; later starts keep what the database holds. */
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}:\d+(,[A-Za-z0-9_-]{1,64}:\d+)*$/, { message: 'INITIAL_STOCK must look like prod-1:100,prod-2:50' })
  INITIAL_STOCK = 'prod-1:100,prod-2:50,prod-3:25';

  /** Seed of the simulated decisions: same seed + order id → same decision. */
  @IsString()
  SIMULATION_SEED = 'demo';

  /**
   * Bearer token of the operator endpoints (POST /inventory/restock). Unset: only a
   * client on this host may call them.
   */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'ADMIN_TOKEN must be at least 16 characters' })
  ADMIN_TOKEN?: string;
}

export function parseInitialStock(spec: string): Map<string, number> {
  return new Map(
    spec.split(',').map((entry) => {
      const [productId, quantity] = entry.split(':');
      return [productId, Number(quantity)] as const;
    }),
  );
}
