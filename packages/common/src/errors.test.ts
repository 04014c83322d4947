import { describe, expect, it } from 'vitest';
import { LakeboxError, isLakeboxError, userMessage } from './errors.js';

describe('LakeboxError', () => {
  it('carries a code, a status and serialises without a stack', () => {
    const e = new LakeboxError('DELTA_VERSION_NOT_FOUND', 'version 7 does not exist', { httpStatus: 404 });
    expect(isLakeboxError(e, 'DELTA_VERSION_NOT_FOUND')).toBe(true);
    expect(isLakeboxError(e, 'OTHER')).toBe(false);
    expect(e.httpStatus).toBe(404);
    expect(JSON.stringify(e)).toBe('{"error_code":"DELTA_VERSION_NOT_FOUND","message":"version 7 does not exist"}');
    expect(userMessage(e)).toBe('[DELTA_VERSION_NOT_FOUND] version 7 does not exist');
    expect(userMessage(new TypeError('x'))).toBe('[INTERNAL_ERROR] x');
  });
});
