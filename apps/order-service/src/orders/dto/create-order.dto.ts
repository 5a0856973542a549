import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsPositive,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsAmount } from './is-amount.decorator.js';

export class OrderItemDto {
  @ApiProperty({
    pattern: '^[A-Za-z0-9_-]{1,64}$',
    example: 'prod-1',
    description: 'The inventory knows prod-1 to prod-5 (GET /inventory on 3004).',
  })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'productId must be 1-64 letters, digits, "-" or "_"' })
  productId: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 1000, example: 2 })
  @IsInt()
  @Min(1)
  @Max(1000)
  quantity: number;

  /** Unit price, a decimal amount with at most 2 decimals. */
  @ApiProperty({ minimum: 0.01, maximum: 1_000_000, multipleOf: 0.01, example: 25, description: 'Unit price, at most 2 decimals.' })
  @IsAmount()
  @IsPositive()
  @Max(1_000_000)
  price: number;
}

export class CreateOrderDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'user-123' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  userId: string;

  @ApiProperty({ type: [OrderItemDto], minItems: 1, maxItems: 100 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  items: OrderItemDto[];

  /** Optional: the server computes the total; a total that disagrees is rejected. */
  @ApiPropertyOptional({
    minimum: 0,
    multipleOf: 0.01,
    example: 50,
    description: 'Optional: the server computes it from the items and rejects a total that disagrees (400).',
  })
  @IsOptional()
  @IsAmount()
  @Min(0)
  total?: number;
}
