import { describe, expect, it } from 'vitest';
import { CANCEL_COLUMNS, CONTRACT_IMPORT_COLUMNS, mapHeader, normaliseHeader, normaliseValue } from '../../src/csv/headers.js';

describe('normaliseHeader', () => {
  it('folds width, case, spaces, underscores and hyphens', () => {
    const forms = ['contract_no', 'Contract No', 'CONTRACT-NO', 'contractNo', ' ｃｏｎｔｒａｃｔ＿ＮＯ ', 'contract　no'];
    expect(new Set(forms.map(normaliseHeader))).toEqual(new Set(['contractno']));
  });

  it('keeps Japanese names apart, long vowel mark included', () => {
    expect(normaliseHeader(' サブスクリプションＩＤ ')).toBe(normaliseHeader('サブスクリプションID'));
    expect(normaliseHeader('サブスクリプションID')).toBe('サブスクリプションid');
    expect(normaliseHeader('顧客（会社名）')).toBe(normaliseHeader('顧客(会社名)'));
  });
});

describe('mapHeader', () => {
  it('maps Japanese headers and reports unknown columns', () => {
    const map = mapHeader(
      ['契約番号', '商品コード', 'サブスクリプションID', 'シリアル番号', '解約数', '契約終了日', '依頼番号', '備考', '担当者'],
      CANCEL_COLUMNS,
    );
    expect(map.index).toEqual({ contractNo: 0, productCode: 1, subscriptionId: 2, serialNo: 3, cancelQuantity: 4, endDate: 5, requestId: 6, note: 7 });
    expect(map.unknown).toEqual(['担当者']);
    expect(map.missing).toEqual([]);
    expect(map.duplicated).toEqual([]);
  });

  it('maps English headers in any case, width or separator', () => {
    const map = mapHeader(['CONTRACT_NO', 'Cancel Quantity', 'ｅｎｄ＿ｄａｔｅ', 'request-id', '', ' '], CANCEL_COLUMNS);
    expect(map.index).toEqual({ contractNo: 0, cancelQuantity: 1, endDate: 2, requestId: 3 });
    expect(map.unknown).toEqual([]);
  });

  it('reports a missing required column and a column given twice', () => {
    const map = mapHeader(['解約数', 'cancel_quantity', '備考'], CANCEL_COLUMNS);
    expect(map.missing).toEqual(['contractNo']);
    expect(map.duplicated).toEqual(['cancelQuantity']);
    expect(map.index.cancelQuantity).toBe(0);
  });

  it('maps the contract import columns in Japanese and English', () => {
    const ja = [
      '契約番号',
      '契約日',
      '契約開始日',
      '契約終了日',
      '件名',
      '販売先・顧客(会社名)',
      '利用者',
      '請求先',
      '配送先',
      '提供元',
      '商品コード',
      '商品名',
      'サブスクリプションID',
      '数量',
      '単価',
      '標準月額プラン',
      '課金モデル',
      'トライアル',
      '契約シリアル',
    ];
    const en = [
      'contract_no',
      'contract_date',
      'start_date',
      'end_date',
      'subject',
      'customer',
      'end_user',
      'bill_to',
      'ship_to',
      'supplier',
      'product_code',
      'product_name',
      'subscription_id',
      'quantity',
      'unit_price',
      'plan',
      'billing_model',
      'is_trial',
      'serials',
    ];
    for (const header of [ja, en]) {
      const map = mapHeader(header, CONTRACT_IMPORT_COLUMNS);
      expect(map.unknown).toEqual([]);
      expect(map.missing).toEqual([]);
      expect(Object.keys(map.index)).toHaveLength(19);
    }
    expect(mapHeader(['顧客'], CONTRACT_IMPORT_COLUMNS).index).toEqual({ customer: 0 });
    expect(mapHeader(['契約番号'], CONTRACT_IMPORT_COLUMNS).missing).toEqual(['startDate', 'productName', 'quantity', 'unitPrice']);
  });

  it('has no name that two columns of one list share', () => {
    for (const specs of [CANCEL_COLUMNS, CONTRACT_IMPORT_COLUMNS]) {
      const names = specs.flatMap((s) => [s.key, ...s.aliases].map(normaliseHeader).map((n) => `${n}→${s.key}`));
      const owners = new Map<string, Set<string>>();
      for (const entry of names) {
        const [name = '', key = ''] = entry.split('→');
        owners.set(name, (owners.get(name) ?? new Set()).add(key));
      }
      expect([...owners].filter(([, keys]) => keys.size > 1)).toEqual([]);
    }
  });
});

describe('normaliseValue', () => {
  it('turns a full-width contract number into ASCII', () => {
    expect(normaliseValue('ＮＣＮ２０２１０７－００００００３１０９')).toBe('NCN202107-0000003109');
    expect(normaliseValue(' ＮＣＮ２０２１０７ー００００００３１０９\u3000')).toBe('NCN202107-0000003109');
    // cli.md's own example has nine digits after the hyphen; it is folded all the same.
    expect(normaliseValue('ＮＣＮ２０２１０７－０００００３１０９')).toBe('NCN202107-000003109');
  });

  it('maps the dashes Japanese input produces to a hyphen', () => {
    for (const dash of ['\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', '\uFF0D', '\uFF70']) {
      expect(normaliseValue(`2026${dash}01${dash}05`)).toBe('2026-01-05');
    }
  });

  it('leaves the long vowel mark in words alone', () => {
    expect(normaliseValue('サーバー')).toBe('サーバー');
    expect(normaliseValue('ｻｰﾊﾞｰ')).toBe('サーバー');
  });

  it('trims and folds full-width digits', () => {
    expect(normaliseValue(' ３ ')).toBe('3');
    expect(normaliseValue('２０２６／１／５')).toBe('2026/1/5');
  });
});
