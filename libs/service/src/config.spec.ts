import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsNumber, Max, Min } from 'class-validator';
import { ConfigError, kafkaConnection, loadConfig, ServiceConfig } from './config.js';

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
      KAFKA_MIN_BYTES: 1,
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

describe('Kafka security settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'config-spec-'));
  const caFile = join(dir, 'ca.pem');
  const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  writeFileSync(caFile, CA);
  const notPem = join(dir, 'not.pem');
  writeFileSync(notPem, 'hello');
  const SASL = { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'saga', KAFKA_SASL_PASSWORD: 's3cret' };

  it('connects in plaintext by default', () => {
    expect(kafkaConnection(loadConfig(ExampleConfig, {}))).toEqual({ brokers: '127.0.0.1:9092' });
  });

  it('builds one connection with TLS and SASL from the four variables', () => {
    const config = loadConfig(ExampleConfig, {
      KAFKA_BROKERS: 'k:9192',
      KAFKA_SSL_CA: caFile,
      ...SASL,
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
    });
    expect(kafkaConnection(config)).toEqual({
      brokers: 'k:9192',
      ssl: { ca: CA },
      sasl: { mechanism: 'scram-sha-512', username: 'saga', password: 's3cret' },
    });
  });

  it('accepts TLS alone and SASL alone', () => {
    expect(kafkaConnection(loadConfig(ExampleConfig, { KAFKA_SSL_CA: caFile }))).toEqual({ brokers: '127.0.0.1:9092', ssl: { ca: CA } });
    expect(kafkaConnection(loadConfig(ExampleConfig, { ...SASL, KAFKA_SASL_MECHANISM: 'plain' })).sasl).toMatchObject({
      mechanism: 'plain',
    });
  });

  it('refuses an unknown mechanism', () => {
    expect(() => loadConfig(ExampleConfig, { ...SASL, KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow(
      /KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512 .*\(got "gssapi"\)/,
    );
  });

  it('requires a username and a password with a mechanism', () => {
    const load = () => loadConfig(ExampleConfig, { KAFKA_SASL_MECHANISM: 'scram-sha-256' });
    expect(load).toThrow(/KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM/);
    expect(load).toThrow(/KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM/);
  });

  it('requires a mechanism with a username and password, and never prints the password', () => {
    const load = () => loadConfig(ExampleConfig, { KAFKA_SASL_USERNAME: 'saga', KAFKA_SASL_PASSWORD: 's3cret' });
    expect(load).toThrow(/KAFKA_SASL_MECHANISM must be one of .* \(got undefined\)/);
    expect(load).not.toThrow(/s3cret/);
  });

  it('requires KAFKA_SSL_CA to be a readable PEM certificate file', () => {
    expect(() => loadConfig(ExampleConfig, { KAFKA_SSL_CA: join(dir, 'missing.pem') })).toThrow(
      /KAFKA_SSL_CA must be the path of a readable PEM file holding a CERTIFICATE \(got ".*missing.pem"\)/,
    );
    expect(() => loadConfig(ExampleConfig, { KAFKA_SSL_CA: notPem })).toThrow(/KAFKA_SSL_CA must be the path/);
  });
});
