/**
 * The contract file as read, in this process: what the refusal names when a value is wrong.
 */
import { describe, expect, it } from 'vitest';
import { readContractFile } from '../../src/contracts/importContracts.js';
import { KaiyakuError } from '../../src/errors.js';
import { useTempDir } from '../support/setup.js';

const dir = useTempDir('kaiyaku-contract-file-');

async function refusal(csv: string): Promise<KaiyakuError> {
  const file = dir.write('contracts.csv', csv);
  const error = await readContractFile(file, 'auto').then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KaiyakuError);
  return error as KaiyakuError;
}

describe('a contract file refused', () => {
  it('names a date that is no date as written, also where a later row of the contract differs from it', async () => {
    const e = await refusal(
      'contract_no,contract_date,start_date,product_name,quantity,unit_price,subscription_id\n' +
        'NCN202101-0000000001,2021-02-30,2021-01-01,p,1,100,SUB-1\n' +
        'NCN202101-0000000001,2021-02-28,2021-01-01,p,1,100,SUB-2\n',
    );
    expect(e.code).toBe('ROWS_INVALID');
    expect(e.words.en).toContain('row 1: contract_date "2021-02-30" is not a date');
    expect(e.words.en).toContain('row 2: contract_date "2021-02-28" differs from row 1 of NCN202101-0000000001 ("2021-02-30")');
    expect(e.words.ja).toContain('同じ契約 NCN202101-0000000001 の 1 行目（「2021-02-30」）と異なります');
  });
});
