import { IsNumber, Max, Min } from 'class-validator';
import { ConfigError, loadConfig, ServiceConfig } from './config.js';

class ExampleConfig extends ServiceConfig {
  override PORT = 3999;

  @IsNumber()
  @Min(0)
  @Max(1)
  FAILURE_RATE: number = 0.5;
}

describe('loadConfig', () => {
  it('applies defaults', () => {
    expect(loadConfig(ExampleConfig, {})).toMatchObject({
      PORT: 3999,
      KAFKA_BROKERS: '127.0.0.1:9092',
      DATA_DIR: '.data',
      FAILURE_RATE: 0.5,
      KAFKA_MAX_WAIT_MS: 25,
    });
  });

  it('converts the environment strings', () => {
    expect(loadConfig(ExampleConfig, { PORT: '4000', FAILURE_RATE: '0.25', KAFKA_BROKERS: 'a:1,b:2' })).toMatchObject({
      PORT: 4000,
      FAILURE_RATE: 0.25,
      KAFKA_BROKERS: 'a:1,b:2',
    });
  });

  it('names every bad variable and its value', () => {
    const load = () => loadConfig(ExampleConfig, { PORT: '70000', FAILURE_RATE: '2', KAFKA_BROKERS: 'localhost' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/PORT must not be greater than 65535 \(got "70000"\)/);
    expect(load).toThrow(/FAILURE_RATE must not be greater than 1 \(got "2"\)/);
    expect(load).toThrow(/KAFKA_BROKERS must be host:port/);
  });
});
