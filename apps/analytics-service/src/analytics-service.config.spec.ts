import { loadConfig } from '#service';
import { AnalyticsServiceConfig } from './analytics-service.config.js';

const PORT = { PORT: 3005 };

describe('AnalyticsServiceConfig', () => {
  it('fetches in larger, rarer batches than a participant by default', () => {
    expect(loadConfig(AnalyticsServiceConfig, {}, PORT)).toMatchObject({ KAFKA_MAX_WAIT_MS: 250, KAFKA_MIN_BYTES: 65_536 });
  });

  it('still takes both from the environment, checked as for every service', () => {
    expect(loadConfig(AnalyticsServiceConfig, { KAFKA_MAX_WAIT_MS: '25', KAFKA_MIN_BYTES: '1' }, PORT)).toMatchObject({
      KAFKA_MAX_WAIT_MS: 25,
      KAFKA_MIN_BYTES: 1,
    });
    expect(() => loadConfig(AnalyticsServiceConfig, { KAFKA_MIN_BYTES: '0' }, PORT)).toThrow(/KAFKA_MIN_BYTES must not be less than 1/);
  });
});
