// One hash names the log format a batch was read with and the one a source keeps, so a batch's
// record can be matched to the saved configuration it used without storing the text twice.
import { createHash } from 'node:crypto';

/**
 * SHA-256 (hex) over gateway, compiled format name and configuration text. The name is the one
 * the configuration resolved to, so naming it or letting the file imply it hashes alike (the lines
 * are read the same way), while any change to the text hashes differently.
 */
export function logFormatSha256(gateway: string, name: string, config: string): string {
  return createHash('sha256').update(`${gateway}\n${name}\n${config}`).digest('hex');
}
