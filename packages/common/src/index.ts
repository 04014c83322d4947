export { LakeboxError, isLakeboxError, userMessage } from './errors.js';
export { VERSION } from './version.js';
