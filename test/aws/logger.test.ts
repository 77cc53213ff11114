import { createLogger } from '../../functions/aws/logger';

describe('createLogger().enabled', () => {
  it('says which levels are written, so callers can skip building fields for the others', () => {
    const lines: string[] = [];
    const logger = createLogger({ service: 't', env: { LOG_LEVEL: 'WARN' }, write: (l) => lines.push(l) });
    expect(['DEBUG', 'INFO', 'WARN', 'ERROR'].map((l) => logger.enabled(l as 'DEBUG'))).toEqual([false, false, true, true]);
    logger.info('dropped');
    logger.warn('kept');
    expect(lines.map((l) => JSON.parse(l).message)).toEqual(['kept']);
  });
});
