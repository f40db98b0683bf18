import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { errorCodeRows, errorCodesTable } from '../../scripts/readme/error-codes-table.ts';
import { ErrorCode } from '../../services/platform/errors.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('lists every business error code as errors.ts defines it (else: node scripts/readme/write-error-codes.ts)', () => {
    const [header, ...rows] = errorCodesTable.readFrom(readme);
    expect(header, 'the error code table between its markers').to.have.length(5);
    expect(rows).to.deep.equal(errorCodeRows());
    expect(rows).to.have.length(Object.keys(ErrorCode).length);
  });

  it('stands alone: no links or paths to documents outside the repository', () => {
    expect(readme).not.to.match(/\.\.\/shared|\]\(\.\.\//);
    expect(readme).not.to.match(/\bseed §|§\d/);
  });
});
