export { inspectFile, type DetectedEncoding, type FileInspection, type InputEncoding } from './decode.js';
export { MAX_RECORD_CHARS, openCsv, type CsvInput, type InputRecord, type OpenCsvOptions, type RecordProblem, type RecordProblemKind } from './read.js';
export {
  CANCEL_COLUMNS,
  CONTRACT_IMPORT_COLUMNS,
  mapHeader,
  normaliseHeader,
  normaliseValue,
  type CancelColumnKey,
  type ColumnSpec,
  type ContractImportColumnKey,
  type HeaderMap,
} from './headers.js';
export { neutraliseCell, openCsvWriter, writeCsvFile, type Cell, type CsvWriter, type CsvWriterOptions, type OutputEncoding } from './write.js';
