import { Parser } from '@asyncapi/parser';
import { expect } from 'chai';
import pkg from '../../package.json' with { type: 'json' };
import { asyncApiDocument } from '../../services/gateway/protocol/index.ts';
import { requirePostgres } from '../support/backends.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';

describe('the AsyncAPI document of the WebSocket protocol [postgresql]', function () {
  this.timeout(60_000);
  let platform: TestPlatform | undefined;
  before(async function () {
    await requirePostgres(this);
    platform = await startPlatform('postgresql');
  });
  after(async () => platform?.stop());

  it('is served beside openapi.json, as it is (no envelope), and is valid AsyncAPI 3', async () => {
    const response = await fetch(`${platform!.host.url}/api/v1/asyncapi.json`);
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.match(/^application\/json/);
    const served = await response.json();
    expect(served).to.deep.equal(asyncApiDocument(pkg.version));
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(served));
    expect(diagnostics.filter((d) => d.severity <= 1).map((d) => d.message)).to.deep.equal([]);
    expect(document!.channels().get('ws')!.address()).to.equal('/ws');
  });
});
