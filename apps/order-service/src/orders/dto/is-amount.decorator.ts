import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * A finite amount of money with at most 2 decimals. (class-validator's
 * `maxDecimalPlaces` throws on numbers it prints in exponent form, like 1e-7.)
 */
export function IsAmount(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isAmount',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'number' && Number.isFinite(value) && Math.abs(value * 100 - Math.round(value * 100)) < 1e-6,
        defaultMessage: (args) => `${args?.property} must be a number with at most 2 decimals`,
      },
    },
    options,
  );
}
