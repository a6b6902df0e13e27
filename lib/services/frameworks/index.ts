// Frameworks service (DB layer over lib/frameworks). Public API:
//   evidenceCounts(db, { from?, to? })          — EvidenceCounts from SQL aggregates (see evidence.ts for the positive controls)
//   findingRows / positiveEvidenceRows           — keyset-paged row streams for exports
//   listFrameworks / getFramework / saveCustomFramework — built-ins + admin-uploaded (Setting `framework.custom:<id>`)
//   listFrameworkSummaries / frameworkOverview / controlEvidence — what the page and the API show
//   startExport / runExportJob / exportToFile / getExportJob / exportFile — export jobs
//   FrameworkRangeQuerySchema / ControlsQuerySchema — the query strings of the framework routes
export * from './catalog.ts';
export * from './evidence.ts';
export * from './exports.ts';
export * from './overview.ts';
export * from './query-schemas.ts';
