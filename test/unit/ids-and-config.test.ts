import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../services/platform/config.ts';
import { SNOWFLAKE_PATTERN, SnowflakeGenerator, snowflakeTime } from '../../services/platform/ids.ts';

describe('snowflake ids', () => {
  it('are unique, increasing decimal strings that carry their time', () => {
    const ids = new SnowflakeGenerator(7);
    const minted = Array.from({ length: 20_000 }, () => ids.next());
    expect(new Set(minted).size).to.equal(minted.length);
    for (let i = 1; i < minted.length; i++)
      expect(BigInt(minted[i]!) > BigInt(minted[i - 1]!)).to.equal(true);
    expect(minted[0]).to.match(SNOWFLAKE_PATTERN);
    expect(Math.abs(snowflakeTime(minted.at(-1)!).getTime() - Date.now())).to.be.below(5_000);
  });

  it('refuse an out-of-range worker id', () => {
    expect(() => new SnowflakeGenerator(1024)).to.throw(RangeError);
  });
});

describe('configuration', () => {
  it('has working defaults: embedded, all services', () => {
    const config = loadConfig({});
    expect(config.services).to.equal('all');
    expect(config.adapter).to.equal('embedded');
    expect(config.auth.accessTokenTtlSeconds).to.equal(7200);
  });

  it('runs one named service on the Dapr adapter by default', () => {
    const config = loadConfig({ SERVICES: 'auth' });
    expect(config.services).to.deep.equal(['auth']);
    expect(config.adapter).to.equal('dapr');
  });

  it('names every invalid variable', () => {
    expect(() => loadConfig({ PORT: 'eighty', AUTH_MULTI_DEVICE_POLICY: 'many' }))
      .to.throw(ConfigError)
      .with.property('message')
      .that.matches(/PORT/)
      .and.matches(/AUTH_MULTI_DEVICE_POLICY/);
  });
});
