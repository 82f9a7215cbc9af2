#!/usr/bin/env node
// Generates N contracts (one or two lines each) and a cancellation file for them, for the
// benchmark and for trying the pipeline at scale by hand:
//   node scripts/generate.mjs --rows 1000 --out /tmp/gen [--late 5] [--slow 5]
import fs from 'node:fs';
import path from 'node:path';

export function generate({ rows, out, late = 0, slow = 0, prefix = 'GEN' }) {
  fs.mkdirSync(out, { recursive: true });
  const contracts = path.join(out, 'contracts.csv');
  const cancel = path.join(out, 'cancel.csv');
  const c = fs.createWriteStream(contracts);
  const k = fs.createWriteStream(cancel);
  c.write(
    'contract_no,contract_date,start_date,end_date,subject,customer,end_user,bill_to,ship_to,supplier,product_code,product_name,subscription_id,quantity,unit_price,plan,billing_model,is_trial,serials\n',
  );
  k.write('契約番号,商品コード,解約数,契約終了日,依頼番号\n');
  for (let i = 1; i <= rows; i++) {
    const no = `NCN202401-${String(i).padStart(10, '0')}`;
    const sub = i <= late ? `NCE-LATE-${prefix}-${i}` : i <= late + slow ? `SLOW-${prefix}-${i}` : `${prefix}-SUB-${String(i).padStart(8, '0')}`;
    const customer = `顧客${i % 97}株式会社`;
    c.write(
      `${no},2024-01-05,2024-01-05,,件名${i},${customer},${customer},${customer},${customer},Microsoft,O365-E1,Office 365 E1,${sub},5,870,標準月額プラン,標準月額モデル,0,\n`,
    );
    const quantity = i % 3 === 0 ? '' : String(1 + (i % 4));
    k.write(`${no},O365-E1,${quantity},,${prefix}-REQ-${i}\n`);
  }
  return Promise.all([new Promise((r) => c.end(r)), new Promise((r) => k.end(r))]).then(() => ({ contracts, cancel }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i === -1 ? fallback : process.argv[i + 1];
  };
  const result = await generate({ rows: Number(arg('rows', '1000')), out: arg('out', 'gen'), late: Number(arg('late', '0')), slow: Number(arg('slow', '0')) });
  console.log(`${result.contracts}\n${result.cancel}`);
}
