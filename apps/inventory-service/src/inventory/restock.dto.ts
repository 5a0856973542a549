import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min } from 'class-validator';

/** POST /inventory/restock: units of one product put on the shelf. */
export class RestockDto {
  @ApiProperty({ pattern: '^[A-Za-z0-9_-]{1,64}$', example: 'prod-1', description: 'A product on the shelf (GET /inventory).' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'productId must be 1-64 letters, digits, "-" or "_"' })
  productId: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 1_000_000, example: 20 })
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  quantity: number;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Names this restock: sent again (a retry), it restocks nothing more and returns the first. A new one when absent.',
  })
  @IsOptional()
  @IsUUID()
  restockId?: string;
}
