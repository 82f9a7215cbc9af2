import { entry } from './entry.js';
/** What the serials room says. */
export const SERIALS_WORDS = {
  'serials.export': { en: 'the serial export', ja: '解約シリアル通知用CSV' },
  'serials.stdoutClosed': {
    en: 'standard output was closed before the serial export was complete (the program reading it stopped early): nothing was marked notified, and the rows are left for the next export',
    ja: '解約シリアル通知用CSVを出力し終わる前に標準出力が閉じられました（読み取り側のプログラムが途中で終了しました）。通知済にした行はありません。これらの行は次のエクスポートで書き出されます',
  },
  'serials.claimLapsed': entry<{ exportClaimLeaseMs: number }>(
    (p) =>
      `the rows of this export were taken back while it was writing (its claim was not renewed for ${p.exportClaimLeaseMs} minutes) and may be another export's now; no file was written and nothing was marked: run the export again`,
    (p) =>
      `書き出し中にこのエクスポートの行の確保が解除されました（${p.exportClaimLeaseMs} 分間更新されませんでした）。別のエクスポートが処理している可能性があります。ファイルは書き出さず、通知済にもしていません。もう一度エクスポートしてください`,
  ),
  'serials.fileBusy': entry<{ out: string }>(
    (p) =>
      `--out ${p.out}: another serial export is writing this file at this moment, and two exports to one file would replace each other's rows; wait for it to end or choose another --out. Nothing was exported or marked`,
    (p) =>
      `--out ${p.out}: 別の解約シリアルのエクスポートがこのファイルを書き出し中です。同じファイルに 2 つのエクスポートを書き出すと互いの行を上書きしてしまいます。終了を待つか、別の --out を指定してください。何も書き出さず、通知済にもしていません`,
  ),
  'serials.stoppedBeforePlaced': entry<{ rows: number }>(
    (p) =>
      `an earlier export to this file stopped after marking its ${p.rows} rows notified and before its file was put in place: nothing was delivered, so the rows are unnotified again and the next export with --unnotified writes them (this one, where its range covers them)`,
    (p) =>
      `このファイルへの以前のエクスポートは、${p.rows} 行を通知済にした後、ファイルを置く前に中断されていました。何も届いていないため、これらの行を未通知に戻しました。--unnotified のエクスポートで書き出されます（範囲内であれば今回のエクスポートにも含まれます）`,
  ),
  'serials.stoppedAfterPlaced': entry<{ rows: number }>(
    (p) => `an earlier export to this file stopped after putting it in place: the file is there as it was written, and its ${p.rows} rows stay marked notified`,
    (p) =>
      `このファイルへの以前のエクスポートは、ファイルを置いた後に中断されていました。ファイルは書き出したときのまま置かれており、その ${p.rows} 行は通知済のままです`,
  ),
  'serials.placedFileChanged': entry<{ rows: number }>(
    (p) =>
      `an earlier export to this file stopped after putting it in place: its ${p.rows} rows stay marked notified; the file has since been moved, removed or changed`,
    (p) =>
      `このファイルへの以前のエクスポートは、ファイルを置いた後に中断されていました。その ${p.rows} 行は通知済のままです。ファイルはその後、移動・削除または変更されています`,
  ),
  'serials.undeliveredFile': entry<{ file: string; rows: number }>(
    (p) =>
      `--out ${p.file}: this is the file of an earlier export that stopped after putting it in place; its ${p.rows} rows are marked notified, and writing over it would lose them. Deliver that file (or move it away), then run the export again. Nothing was exported or marked`,
    (p) =>
      `--out ${p.file}: これは、ファイルを置いた後に中断された以前のエクスポートのファイルです。その ${p.rows} 行は通知済になっているため、上書きすると失われます。そのファイルを届ける（または別の場所に移す）と、もう一度エクスポートできます。何も書き出さず、通知済にもしていません`,
  ),
} as const;
