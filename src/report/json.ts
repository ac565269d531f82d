import type { Report } from '../types.js'

/** The report as written by `--report` and `--format json`: 2-space indent, trailing newline. */
export const renderJson = (report: Report): string => `${JSON.stringify(report, null, 2)}\n`
