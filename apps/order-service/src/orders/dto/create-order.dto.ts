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
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'productId must be 1-64 letters, digits, "-" or "_"' })
  productId: string;

  @IsInt()
  @Min(1)
  @Max(1000)
  quantity: number;

  /** Unit price, a decimal amount with at most 2 decimals. */
  @IsAmount()
  @IsPositive()
  @Max(1_000_000)
  price: number;
}

export class CreateOrderDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  userId: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  items: OrderItemDto[];

  /** Optional: the server computes the total; a total that disagrees is rejected. */
  @IsOptional()
  @IsAmount()
  @Min(0)
  total?: number;
}
