/**
 * One word for a POSIX shell: as it is when it holds only characters no shell
 * treats specially, otherwise single-quoted. Ids and paths come from the API:
 * they are data, so they are quoted, never pasted.
 */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_/.:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
