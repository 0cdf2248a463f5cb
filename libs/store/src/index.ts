export { Catalog } from './catalog';
export type { CatalogOptions } from './catalog';
export { openCatalog } from './open-catalog';
export type { OpenCatalogOptions, OpenedCatalog } from './open-catalog';
export { LATEST_SCHEMA_VERSION } from './migrations';
export { DEFAULT_BACKUPS_KEPT } from './backup';
export { listBackups } from './store-files';
export type { BackupFile } from './store-files';
export { CSV_COLUMNS, csvField } from './csv';
export type {
  BackupResult,
  CatalogCounts,
  CatalogEvent,
  CatalogEventKind,
  CatalogTotals,
  FailureCount,
  FilePatch,
  FileRecord,
  FoundAnswer,
  FoundEntry,
  FoundOrderQuery,
  ListFilesQuery,
  ProgressOptions,
  RepairReport,
  RescanRequest,
  StateTotal,
  StoreLogLevel,
  StoreLogger,
  TargetPatch,
  TargetRecord,
  UploadedCopy,
} from './types';
export { openCatalogForReading } from './open-for-reading';
export { CatalogViews } from './views';
export type { Delivery, FilePageQuery, MovedBytes, Page } from './views';
export { MultipartRecords, openMultipartRecords } from './multipart-records';
export type { MultipartUpload, NewMultipartUpload, PartRecord } from './multipart-records';
